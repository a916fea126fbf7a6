package dev.apikeys.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * SIGTERM and SIGINT (Ctrl-C) as something a long-running command can wait for. The JVM runs
 * shutdown hooks and then halts, so the hook holds the JVM until the command has closed what it
 * opened; a command run in-process (tests) is stopped by interrupting its thread instead.
 */
final class ShutdownSignal implements AutoCloseable {
  /** How long the hook holds the JVM for a graceful stop before letting it halt anyway. */
  private static final long CLEANUP_GRACE_SECONDS = 45;

  private final CountDownLatch requested = new CountDownLatch(1);
  private final CountDownLatch cleanedUp = new CountDownLatch(1);
  private final Thread hook;

  ShutdownSignal() {
    hook =
        new Thread(
            () -> {
              requested.countDown();
              try {
                cleanedUp.await(CLEANUP_GRACE_SECONDS, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "apikeys-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * Blocks until the process is asked to stop, or the calling thread is interrupted. An interrupt
   * is the in-process way of asking, so it is consumed here: the graceful stop that follows must be
   * able to wait for tasks in flight.
   */
  void await() {
    try {
      requested.await();
    } catch (InterruptedException stopRequested) {
      // Treated exactly like SIGTERM; see above.
    }
  }

  /** Marks the cleanup done, and outside a JVM shutdown removes the hook. */
  @Override
  public void close() {
    cleanedUp.countDown();
    if (requested.getCount() > 0) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // The JVM began shutting down meanwhile; the hook has already been released above.
      }
    }
  }
}
