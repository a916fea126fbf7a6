package dev.apikeys.revocation;

import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * A deadline that update handlers can move, and a wait for it that something else can interrupt:
 * the revocation's instant, in one small deterministic piece.
 *
 * <p>It is served by durable timers that are never cancelled. A timer made stale by a moved
 * deadline is left to fire (or to be dropped when the workflow closes) instead of being cancelled:
 * a {@code CancelTimer} command racing the timer's own firing is the one moment Temporal's Java
 * test server gets wrong (the workflow is left without a next task), and a stale timer firing costs
 * one workflow task. Each timer is made in a detached scope, so a cancellation of the workflow
 * reaches the caller's condition, not the timer.
 */
final class UpdatableTimer {
  private Instant deadline;
  private Promise<Void> timer;
  private Instant timerDeadline;

  UpdatableTimer(Instant deadline) {
    this.deadline = deadline;
  }

  Instant deadline() {
    return deadline;
  }

  /** Moves the deadline; a wait in progress notices and waits for the new one. */
  void moveTo(Instant newDeadline) {
    deadline = newDeadline;
  }

  boolean hasPassed() {
    return Workflow.currentTimeMillis() >= deadline.toEpochMilli();
  }

  /**
   * Blocks until the deadline has passed (true) or {@code interrupt} holds (false), whichever comes
   * first; the interrupt is checked first.
   */
  boolean awaitDeadlineOr(Supplier<Boolean> interrupt) {
    while (true) {
      if (interrupt.get()) {
        return false;
      }
      if (hasPassed()) {
        return true;
      }
      Instant waitingFor = deadline;
      if (timer == null || !waitingFor.equals(timerDeadline)) {
        long millis = waitingFor.toEpochMilli() - Workflow.currentTimeMillis();
        timerDeadline = waitingFor;
        Workflow.newDetachedCancellationScope(
                () -> timer = Workflow.newTimer(Duration.ofMillis(millis)))
            .run();
      }
      Promise<Void> current = timer;
      Workflow.await(
          () -> current.isCompleted() || interrupt.get() || !waitingFor.equals(deadline));
      if (current.isCompleted() && waitingFor.equals(deadline)) {
        // The timer for this deadline fired; workflow time now stands at or after it. A timer
        // rounded down by the server leaves a remainder, served by a fresh timer on the next turn.
        timer = null;
      }
    }
  }
}
