package dev.apikeys.bench;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import io.temporal.activity.ActivityOptions;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The engine's own floor for a burst of timers: a trivial workflow that waits on a durable timer
 * and then runs one activity that does nothing but note how late it ran. What a revocation adds to
 * it is the figure to push down.
 */
final class EngineFloor {
  private EngineFloor() {}

  @WorkflowInterface
  public interface TimerThenNoOp {
    @WorkflowMethod(name = "BenchTimerThenNoOp")
    void run(long intendedEpochMillis);
  }

  @ActivityInterface
  public interface NoOp {
    @ActivityMethod(name = "BenchNoOp")
    void note(long intendedEpochMillis);
  }

  public static class TimerThenNoOpImpl implements TimerThenNoOp {
    private final NoOp noOp =
        Workflow.newActivityStub(
            NoOp.class,
            ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(30)).build());

    @Override
    public void run(long intendedEpochMillis) {
      long wait = intendedEpochMillis - Workflow.currentTimeMillis();
      if (wait > 0) {
        Workflow.sleep(Duration.ofMillis(wait));
      }
      noOp.note(intendedEpochMillis);
    }
  }

  /** Records, for each run, how late after its intended instant the activity ran. */
  static final class NoOpImpl implements NoOp {
    final ConcurrentLinkedQueue<Long> lateness = new ConcurrentLinkedQueue<>();

    @Override
    public void note(long intendedEpochMillis) {
      lateness.add(System.currentTimeMillis() - intendedEpochMillis);
    }
  }
}
