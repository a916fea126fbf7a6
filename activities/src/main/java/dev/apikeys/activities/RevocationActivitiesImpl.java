package dev.apikeys.activities;

import dev.apikeys.model.ApiKeyException;
import dev.apikeys.revocation.Revocation;
import dev.apikeys.revocation.RevocationActivities;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.ScheduleRevocation;
import dev.apikeys.store.RevocationStore;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * The revocation activities on PostgreSQL. Refusals become non-retryable failures typed as
 * docs/semantics.md#refusals lists; every other exception is a fault and is left for Temporal to
 * retry.
 */
public final class RevocationActivitiesImpl implements RevocationActivities {
  private final RevocationStore store;

  public RevocationActivitiesImpl(RevocationStore store) {
    this.store = store;
  }

  @Override
  public Revocation schedule(ScheduleRevocation command) {
    return refusalsAsFailures(() -> store.schedule(command.fingerprinted()));
  }

  @Override
  public RevokeResult stamp(String revocationId, Instant workflowNow) {
    return refusalsAsFailures(() -> store.stamp(revocationId, workflowNow));
  }

  @Override
  public Revocation cancel(String revocationId, Instant workflowNow, String by) {
    return refusalsAsFailures(() -> store.cancel(revocationId, workflowNow, by));
  }

  @Override
  public Revocation reschedule(
      String revocationId, Instant scheduledAt, String by, Instant workflowNow) {
    return refusalsAsFailures(() -> store.reschedule(revocationId, scheduledAt, by, workflowNow));
  }

  /**
   * Runs one store call with heartbeats; a refusal becomes a non-retryable failure of its type,
   * anything else stays a fault for Temporal to retry.
   */
  static <T> T refusalsAsFailures(Supplier<T> work) {
    try {
      return Heartbeats.during(work);
    } catch (ApiKeyException refusal) {
      throw refusal.toFailure();
    }
  }
}
