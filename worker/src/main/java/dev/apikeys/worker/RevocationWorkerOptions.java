package dev.apikeys.worker;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How a {@link RevocationWorker} polls and what it hosts. {@code apikeys worker} builds it from the
 * environment ({@code WorkerConfig}), {@code apikeys dev} from its own defaults.
 *
 * @param taskQueue the task queue to poll
 * @param stickyTimeout the sticky queue's schedule-to-start timeout; empty for Temporal's default
 * @param rotationEnabled whether this worker runs key rotations ({@code APIKEYS_ROTATION_ENABLED});
 *     off, a rotation is refused before it plans anything
 * @param examples whether the worker also hosts the example workflows ({@code
 *     OffboardUserWorkflow}); a production worker leaves them out unless asked
 */
public record RevocationWorkerOptions(
    String taskQueue, Optional<Duration> stickyTimeout, boolean rotationEnabled, boolean examples) {
  public RevocationWorkerOptions {
    Objects.requireNonNull(taskQueue, "taskQueue");
    Objects.requireNonNull(stickyTimeout, "stickyTimeout");
  }

  /** Polls {@code taskQueue} with Temporal's sticky default, without rotation or examples. */
  public static RevocationWorkerOptions forTaskQueue(String taskQueue) {
    return new RevocationWorkerOptions(taskQueue, Optional.empty(), false, false);
  }

  public RevocationWorkerOptions withStickyTimeout(Duration timeout) {
    return new RevocationWorkerOptions(taskQueue, Optional.of(timeout), rotationEnabled, examples);
  }

  public RevocationWorkerOptions withRotationEnabled(boolean enabled) {
    return new RevocationWorkerOptions(taskQueue, stickyTimeout, enabled, examples);
  }

  public RevocationWorkerOptions withExamples(boolean hosted) {
    return new RevocationWorkerOptions(taskQueue, stickyTimeout, rotationEnabled, hosted);
  }
}
