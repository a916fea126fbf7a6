package dev.apikeys.revocation;

import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real activities with faults a test can switch on: a stamp whose completion is lost after it
 * committed, and a stamp that holds until the test lets it go.
 */
final class ScriptedActivities implements RevocationActivities {
  private final RevocationActivities real;
  final AtomicInteger stampCalls = new AtomicInteger();
  volatile boolean loseFirstStampCompletion;
  volatile CountDownLatch stampStarted;
  volatile CountDownLatch releaseStamp;

  ScriptedActivities(RevocationActivities real) {
    this.real = real;
  }

  @Override
  public RevokeResult schedule(ScheduleRevocation command) {
    return real.schedule(command);
  }

  @Override
  public RevokeResult stamp(String revocationId, Instant now) {
    int call = stampCalls.incrementAndGet();
    if (stampStarted != null) {
      stampStarted.countDown();
    }
    if (releaseStamp != null) {
      try {
        releaseStamp.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    RevokeResult result = real.stamp(revocationId, now);
    if (loseFirstStampCompletion && call == 1) {
      // The transaction has committed; the worker "dies" before Temporal hears of it.
      throw new IllegalStateException("simulated loss of the activity completion");
    }
    return result;
  }

  @Override
  public RevokeResult cancel(String revocationId) {
    return real.cancel(revocationId);
  }

  @Override
  public RevokeResult reschedule(String revocationId, Instant scheduledAt) {
    return real.reschedule(revocationId, scheduledAt);
  }
}
