package dev.apikeys.revocation;

import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real activities with faults and pauses a test can switch on: a stamp whose completion is lost
 * after it committed, and a schedule, stamp or reschedule that holds (before or after its
 * transaction) until the test lets it go, so a test chooses the moment a cancel or an update
 * arrives.
 */
final class ScriptedActivities implements RevocationActivities {
  private final RevocationActivities real;
  final AtomicInteger stampCalls = new AtomicInteger();
  volatile boolean loseFirstStampCompletion;
  volatile CountDownLatch stampStarted;
  volatile CountDownLatch releaseStamp;

  /** Counted down once the schedule transaction has committed. */
  volatile CountDownLatch scheduleCommitted;

  /** Awaited after the schedule transaction committed, before the activity answers. */
  volatile CountDownLatch releaseSchedule;

  /** Counted down once a reschedule transaction has committed. */
  volatile CountDownLatch rescheduleCommitted;

  /** Awaited after a reschedule transaction committed, before the activity answers. */
  volatile CountDownLatch releaseReschedule;

  ScriptedActivities(RevocationActivities real) {
    this.real = real;
  }

  @Override
  public Revocation schedule(ScheduleRevocation command) {
    Revocation result = real.schedule(command);
    countDown(scheduleCommitted);
    await(releaseSchedule);
    return result;
  }

  @Override
  public RevokeResult stamp(String revocationId, Instant workflowNow) {
    int call = stampCalls.incrementAndGet();
    countDown(stampStarted);
    await(releaseStamp);
    RevokeResult result = real.stamp(revocationId, workflowNow);
    if (loseFirstStampCompletion && call == 1) {
      // The transaction has committed; the worker "dies" before Temporal hears of it.
      throw new IllegalStateException("simulated loss of the activity completion");
    }
    return result;
  }

  @Override
  public Revocation cancel(String revocationId, Instant workflowNow, String by) {
    return real.cancel(revocationId, workflowNow, by);
  }

  @Override
  public Revocation reschedule(
      String revocationId, Instant scheduledAt, String by, Instant workflowNow) {
    Revocation result = real.reschedule(revocationId, scheduledAt, by, workflowNow);
    countDown(rescheduleCommitted);
    await(releaseReschedule);
    return result;
  }

  private static void countDown(CountDownLatch latch) {
    if (latch != null) {
      latch.countDown();
    }
  }

  private static void await(CountDownLatch latch) {
    if (latch == null) {
      return;
    }
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
