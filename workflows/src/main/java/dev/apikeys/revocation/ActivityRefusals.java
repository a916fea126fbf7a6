package dev.apikeys.revocation;

import dev.apikeys.model.ApiKeyErrorType;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.Arrays;

/**
 * How this project's workflows treat their activities' failures: faults (a database that is down)
 * are retried with backoff, a bounded number of times; refusals (docs/semantics.md#refusals) are
 * never retried and become the workflow's own failure, with the same type and message.
 */
public final class ActivityRefusals {
  private ActivityRefusals() {}

  /**
   * Backoff from one second to one minute, at most {@code maxAttempts} (0: until it succeeds);
   * refusals not retried.
   */
  public static RetryOptions retryOptions(int maxAttempts) {
    return RetryOptions.newBuilder()
        .setInitialInterval(Duration.ofSeconds(1))
        .setBackoffCoefficient(2)
        .setMaximumInterval(Duration.ofMinutes(1))
        .setMaximumAttempts(maxAttempts)
        .setDoNotRetry(
            Arrays.stream(ApiKeyErrorType.values()).map(Enum::name).toArray(String[]::new))
        .build();
  }

  /**
   * The activity's typed refusal as a failure of the workflow itself, so callers see INVALID_DATA
   * and its message directly; anything else (a fault that outlived its retries) is rethrown.
   */
  public static ApplicationFailure asWorkflowFailure(ActivityFailure f) {
    if (f.getCause() instanceof ApplicationFailure app && app.isNonRetryable()) {
      return ApplicationFailure.newNonRetryableFailure(app.getOriginalMessage(), app.getType());
    }
    throw f;
  }
}
