package dev.apikeys.activities;

import dev.apikeys.model.ApiKeyException;
import dev.apikeys.revocation.RevocationActivities;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.ScheduleRevocation;
import dev.apikeys.store.RevocationStore;
import io.temporal.failure.ApplicationFailure;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * The revocation activities on PostgreSQL. Refusals become non-retryable failures typed as
 * CONTRACT §5; every other exception is a fault and is left for Temporal to retry.
 */
public final class RevocationActivitiesImpl implements RevocationActivities {
  private final RevocationStore store;

  public RevocationActivitiesImpl(RevocationStore store) {
    this.store = store;
  }

  @Override
  public RevokeResult schedule(ScheduleRevocation command) {
    return refusalsAsFailures(() -> store.schedule(command));
  }

  @Override
  public RevokeResult stamp(String revocationId, Instant now) {
    return refusalsAsFailures(() -> store.stamp(revocationId, now));
  }

  @Override
  public RevokeResult cancel(String revocationId) {
    return refusalsAsFailures(() -> store.cancel(revocationId));
  }

  @Override
  public RevokeResult reschedule(String revocationId, Instant scheduledAt) {
    return refusalsAsFailures(() -> store.reschedule(revocationId, scheduledAt));
  }

  static <T> T refusalsAsFailures(Supplier<T> work) {
    try {
      return work.get();
    } catch (ApiKeyException refusal) {
      throw ApplicationFailure.newNonRetryableFailure(
          refusal.getMessage(), refusal.getType().name());
    }
  }
}
