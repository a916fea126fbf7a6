package dev.apikeys.activities;

import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Heartbeats an activity while one long database call runs, from a thread of its own: a transaction
 * over 100,000 keys is one statement that cannot stop to report. With a heartbeat timeout on the
 * activity, Temporal then learns within seconds that a worker died mid-call and retries on another,
 * instead of waiting out the whole start-to-close timeout.
 */
final class Heartbeats {
  /** Well inside the heartbeat timeout the workflows set. */
  static final Duration PERIOD = Duration.ofSeconds(2);

  private static final ScheduledExecutorService TICKER =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "apikeys-activity-heartbeat");
            t.setDaemon(true);
            return t;
          });

  private Heartbeats() {}

  static <T> T during(Supplier<T> work) {
    ActivityExecutionContext context = Activity.getExecutionContext();
    if (context.getInfo().isLocal()) {
      // A local activity runs inside a workflow task and cannot heartbeat.
      return work.get();
    }
    ScheduledFuture<?> ticking =
        TICKER.scheduleAtFixedRate(
            () -> {
              try {
                context.heartbeat(null);
              } catch (RuntimeException notListening) {
                // The activity was cancelled or has timed out: the work's own outcome decides
                // what the workflow hears, so the ticker has nothing to add.
              }
            },
            PERIOD.toMillis(),
            PERIOD.toMillis(),
            TimeUnit.MILLISECONDS);
    try {
      return work.get();
    } finally {
      ticking.cancel(false);
    }
  }
}
