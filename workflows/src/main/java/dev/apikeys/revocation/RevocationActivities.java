package dev.apikeys.revocation;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.time.Instant;

/**
 * The database side of a revocation. Every method is one transaction and safe to retry: a retry
 * after a lost completion finds its own earlier work and returns the same answer. Refusals are
 * non-retryable {@code ApplicationFailure}s typed INVALID_DATA, NOT_FOUND, NOT_ALLOWED or CONFLICT.
 *
 * <p>Whether a revocation's instant has passed is decided here, by the later of the database's
 * clock and the workflow time the caller passes, in the same transaction that acts on the answer: a
 * key stops authenticating by the database's clock, so that clock must have the last word, and a
 * slow worker must not make a cancel that came in time look late. The instants this project writes
 * come from workflow time, so the workflow's clock counts too.
 *
 * <p>Arguments a caller leaves out (older workflow code sends fewer) are read as absent.
 */
@ActivityInterface
public interface RevocationActivities {

  /**
   * Resolves the keys and records the revocation: its row, its keys, and each key's {@code
   * revoked_at} set to the earliest instant its revocations require. When the request's idempotency
   * key was used before, schedules nothing: the same request gets that revocation ({@code
   * duplicate_of} names its workflow unless it is the asking workflow's own), any other request
   * CONFLICT.
   */
  @ActivityMethod(name = RevocationNames.ACTIVITY_SCHEDULE)
  Revocation schedule(ScheduleRevocation command);

  /**
   * Writes the final state once the instant has passed: keys that someone else moved later are put
   * back to it, the revocation is marked revoked, one {@code api_key.revoked} event per key is
   * recorded. Returns the revocation as it stands — still scheduled (with its instant) if that has
   * not come yet, cancelled if it was cancelled — with as many of its keys as fit the result's byte
   * budget.
   */
  @ActivityMethod(name = RevocationNames.ACTIVITY_STAMP)
  RevokeResult stamp(String revocationId, Instant workflowNow);

  /**
   * Cancels a revocation whose instant has not come: its keys are put back as the remaining
   * revocations require, it is marked cancelled with {@code by}, and an {@code
   * api_key.revocation_cancelled} event is recorded. If the instant has passed, or the revocation
   * is no longer scheduled, nothing changes and the answer says where it stands.
   */
  @ActivityMethod(name = RevocationNames.ACTIVITY_CANCEL)
  Revocation cancel(String revocationId, Instant workflowNow, String by);

  /**
   * Moves a scheduled revocation to a new instant, earlier or later, keys included, and records an
   * {@code api_key.revocation_rescheduled} event. NOT_ALLOWED once its instant has passed.
   */
  @ActivityMethod(name = RevocationNames.ACTIVITY_RESCHEDULE)
  Revocation reschedule(String revocationId, Instant scheduledAt, String by, Instant workflowNow);
}
