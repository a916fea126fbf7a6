package dev.apikeys.worker;

import dev.apikeys.activities.ReconcileActivitiesImpl;
import dev.apikeys.activities.RevocationActivitiesImpl;
import dev.apikeys.activities.RevocationReconciler;
import dev.apikeys.activities.RotationActivitiesImpl;
import dev.apikeys.examples.OffboardUserWorkflowImpl;
import dev.apikeys.revocation.ReconcileRevocationsWorkflowImpl;
import dev.apikeys.revocation.RevokeApiKeysWorkflowImpl;
import dev.apikeys.rotation.RotateApiKeysWorkflowImpl;
import dev.apikeys.store.ApiKeysDatabase;
import dev.apikeys.store.RevocationStore;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;
import io.temporal.worker.WorkflowImplementationOptions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The revocation worker: {@code RevokeApiKeysWorkflow}, {@code ReconcileRevocationsWorkflow},
 * {@code RotateApiKeysWorkflow} (and, when asked, the {@code OffboardUserWorkflow} example) and
 * their activities on one task queue. The one place they are wired, so {@code apikeys worker},
 * {@code apikeys dev} and the tests run the same worker.
 */
public final class RevocationWorker implements AutoCloseable {
  /** Long enough for a stamp or cancel transaction in flight to commit before the process ends. */
  private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(30);

  /**
   * The deadlock detection of a worker without sticky execution (the Java test server's: {@code
   * apikeys dev}, the tests, the benchmark). Found by RevocationInterleavingTest under load: a
   * PotentialDeadlockException from a workflow thread parked in its own yield.
   */
  static final Duration FULL_REPLAY_DEADLOCK_DETECTION = Duration.ofSeconds(10);

  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(RevocationWorker.class);

  private final WorkerFactory factory;
  private final RevocationStore revocations;
  private final String taskQueue;

  /**
   * @param client a client built with {@code ApiKeysDataConverter}, as every client here is; the
   *     SDK's own metrics go to the scope of its service stubs
   * @param database the process's database; the activities and the reconciler use its stores and
   *     report to its metrics
   * @param options the task queue, sticky timeout, rotation and examples
   */
  public RevocationWorker(
      WorkflowClient client, ApiKeysDatabase database, RevocationWorkerOptions options) {
    this.taskQueue = options.taskQueue();
    this.factory = WorkerFactory.newInstance(client);
    WorkerOptions.Builder workerOptions = WorkerOptions.newBuilder();
    options.stickyTimeout().ifPresent(workerOptions::setStickyQueueScheduleToStartTimeout);
    if (options.stickyTimeout().filter(Duration::isZero).isPresent()) {
      // Without sticky execution every workflow task replays the whole history; on a busy machine
      // a workflow thread can wait past Temporal's one-second deadlock detection for a core
      // without any workflow code blocking, and the task fails (again at every attempt while the
      // machine stays busy).
      workerOptions.setDefaultDeadlockDetectionTimeout(FULL_REPLAY_DEADLOCK_DETECTION.toMillis());
    }
    Worker worker = factory.newWorker(taskQueue, workerOptions.build());
    // No decoding exception fails a workflow: a payload under a key this worker lacks fails the
    // workflow task, retried until a worker with the key runs it, and a client's input that no
    // configuration can read is refused by ApiKeysDataConverter with INVALID_DATA.
    WorkflowImplementationOptions implementationOptions =
        WorkflowImplementationOptions.newBuilder().build();
    worker.registerWorkflowImplementationTypes(
        implementationOptions,
        RevokeApiKeysWorkflowImpl.class,
        ReconcileRevocationsWorkflowImpl.class,
        RotateApiKeysWorkflowImpl.class);
    if (options.examples()) {
      worker.registerWorkflowImplementationTypes(
          implementationOptions, OffboardUserWorkflowImpl.class);
    }
    revocations = database.revocations();
    worker.registerActivitiesImplementations(
        new RevocationActivitiesImpl(revocations),
        new ReconcileActivitiesImpl(
            new RevocationReconciler(client, revocations, taskQueue, database.metrics())),
        new RotationActivitiesImpl(database.rotations(), options.rotationEnabled()));
  }

  public String taskQueue() {
    return taskQueue;
  }

  /** Whether the worker has started polling and has not been asked to stop. */
  public boolean isPolling() {
    return factory.isStarted() && !factory.isShutdown() && !factory.isTerminated();
  }

  /**
   * Runs a revocation's statements once in a transaction that is rolled back (see {@code
   * RevocationStore.warmUp}), then starts polling; returns once polling has begun. The first real
   * revocation a worker takes is then as fast as later ones.
   */
  public void start() {
    try {
      revocations.warmUp();
    } catch (RuntimeException e) {
      // Only the first revocation's speed depends on it: a database not reachable yet is retried
      // by the activities themselves.
      log.warn("warm-up skipped: {}", e.getClass().getSimpleName());
    }
    factory.start();
  }

  /**
   * Stops polling and lets the tasks in flight finish. A revocation waiting on its timer is not in
   * flight: its timer lives in Temporal and fires on whichever worker polls next.
   */
  @Override
  public void close() {
    factory.shutdown();
    factory.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    factory.shutdownNow();
  }
}
