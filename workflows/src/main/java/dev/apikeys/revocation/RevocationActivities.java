package dev.apikeys.revocation;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.time.Instant;

/**
 * The database side of a revocation. Every method is one transaction and safe to retry: a retry
 * after a lost completion finds its own earlier work and returns the same answer. Refusals are
 * non-retryable {@code ApplicationFailure}s typed INVALID_DATA, NOT_FOUND, NOT_ALLOWED or CONFLICT.
 */
@ActivityInterface
public interface RevocationActivities {

  /**
   * Resolves the keys and records the revocation: its row, its keys with their prior state, and
   * each key's {@code revoked_at} moved to the instant unless an earlier one already holds. When
   * the request's idempotency key was used before, schedules nothing and answers with that
   * revocation ({@code duplicate_of} names its workflow), or CONFLICT if the request differs.
   */
  @ActivityMethod(name = RevocationNames.ACTIVITY_SCHEDULE)
  RevokeResult schedule(ScheduleRevocation command);

  /**
   * Writes the final state once the instant has passed (as of {@code now}, workflow time): the
   * keys' {@code revoked_at}/{@code revoked_by}, the revocation marked revoked, one {@code
   * api_key.revoked} event per key. Returns the revocation as it stands: still scheduled (with its
   * new instant) if it was moved later, cancelled if it was cancelled.
   */
  @ActivityMethod(name = RevocationNames.ACTIVITY_STAMP)
  RevokeResult stamp(String revocationId, Instant now);

  /**
   * Undoes scheduling: marks the revocation cancelled and puts each key back as the remaining
   * revocations require. Does nothing to a revocation that is already revoked or cancelled.
   */
  @ActivityMethod(name = RevocationNames.ACTIVITY_CANCEL)
  RevokeResult cancel(String revocationId);

  /** Moves a scheduled revocation to a new instant, earlier or later, keys included. */
  @ActivityMethod(name = RevocationNames.ACTIVITY_RESCHEDULE)
  RevokeResult reschedule(String revocationId, Instant scheduledAt);
}
