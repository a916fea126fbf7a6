package dev.apikeys.revocation;

import dev.apikeys.model.ApiKeyErrorType;
import dev.apikeys.model.ApiKeyException;
import io.temporal.activity.ActivityOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Promise;
import io.temporal.workflow.SignalExternalWorkflowException;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInfo;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;

/**
 * The revocation workflow as it ran before {@link RevokeApiKeysWorkflowImpl#VERSION_CHANGE}: kept,
 * unchanged but for its name, so that revocations started by that code replay and finish as they
 * began. New revocations never run it. Do not change it; do not call it from anywhere else.
 */
final class LegacyRevokeApiKeysWorkflow {
  private static final Logger log = Workflow.getLogger(LegacyRevokeApiKeysWorkflow.class);

  static final String STANDS_MESSAGE =
      "cancel requested after the scheduled instant; the revocation stands";

  // Database outages are retried for about an hour and a half before the workflow gives up;
  // refusals are never retried (they are non-retryable failures typed as docs/semantics.md#refusals
  // lists).
  private final ActivityOptions options =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofMinutes(10))
          .setRetryOptions(ActivityRefusals.retryOptions(100))
          .build();

  private final LegacyRevocationActivities activities =
      Workflow.newActivityStub(LegacyRevocationActivities.class, options);

  private RevocationState state = RevocationState.VALIDATING;
  private RevokeResult current;
  private ApplicationFailure refusal;
  private Instant scheduledAt;
  private boolean owner;

  /** The workflow that owns the revocation, when this one repeats its idempotency key. */
  private String duplicateOf;

  /** Bumped whenever an update moves the instant, to wake the wait loop. */
  private int scheduleVersion;

  /** True while an update's activity runs, so the timer cannot race a half-made change. */
  private boolean changingSchedule;

  RevokeResult revoke(RevokeRequest request) {
    WorkflowInfo info = Workflow.getInfo();
    ValidRevokeRequest valid;
    try {
      valid = RevokeRequestParser.parse(request);
    } catch (ApiKeyException e) {
      throw refuse(ApplicationFailure.newNonRetryableFailure(e.getMessage(), e.getType().name()));
    }
    if (valid.context().cancelling()) {
      state = RevocationState.SKIPPED;
      current =
          new RevokeResult(
              null,
              info.getWorkflowId(),
              RevocationState.SKIPPED,
              valid.revokedBy(),
              null,
              0,
              false,
              null,
              null,
              "context.isCancelling is true: nothing was scheduled");
      return finish(current);
    }

    Instant instant =
        Instant.ofEpochMilli(Workflow.currentTimeMillis()).plusSeconds(valid.revokeInSeconds());
    try {
      current =
          activities.schedule(
              new ScheduleRevocation(info.getWorkflowId(), info.getRunId(), valid, instant));
    } catch (ActivityFailure f) {
      throw refuse(ActivityRefusals.asWorkflowFailure(f));
    }
    duplicateOf = current.duplicateOf();
    owner = duplicateOf == null;
    scheduledAt = current.scheduledAt();
    state = current.status();
    log.info(
        "revocation {} scheduled at {} for {} keys{}",
        current.revocationId(),
        scheduledAt,
        current.keyCount(),
        owner ? "" : " (duplicate of " + current.duplicateOf() + ")");
    if (state != RevocationState.SCHEDULED && state != RevocationState.REVOKED) {
      return finish(current);
    }

    String message = null;
    try {
      waitForInstant();
    } catch (CanceledFailure cancelled) {
      if (Workflow.currentTimeMillis() < scheduledAt.toEpochMilli()) {
        // Only the owner undoes the revocation; a duplicate that is cancelled just stops waiting.
        if (owner) {
          Workflow.newDetachedCancellationScope(
                  () -> current = activities.cancel(current.revocationId()))
              .run();
          log.info("revocation {} cancelled before its instant", current.revocationId());
        }
        state = RevocationState.CANCELLED;
        reportToParent(valid.context());
        throw cancelled;
      }
      message = STANDS_MESSAGE;
    }

    // Past the instant the revocation stands: the stamp runs even if a cancel arrives meanwhile.
    state = RevocationState.REVOKING;
    Workflow.newDetachedCancellationScope(this::stampUntilDone).run();
    state = current.status();
    if (message == null && CancellationScope.current().isCancelRequested()) {
      message = STANDS_MESSAGE;
    }
    if (message != null) {
      current = current.withStatus(current.status(), message);
      log.info("revocation {}: {}", current.revocationId(), message);
    }
    reportToParent(valid.context());
    return finish(current);
  }

  /**
   * Tells a parent workflow that its revocation is done (signal {@value
   * RevocationNames#SIGNAL_REVOCATION_FINISHED} with the final status), unless the revocation was
   * started with {@code cancelingFromParentStep}: then the parent step is itself unwinding and must
   * not be called back (docs/semantics.md#child-revocations). A parent that has already closed is
   * not an error.
   */
  private void reportToParent(SharedContext context) {
    var parent = Workflow.getInfo().getParentWorkflowId();
    if (parent.isEmpty() || context.fromParentStep()) {
      return;
    }
    // Added after the first histories were recorded: revocations started before it replay as
    // they ran, without the signal.
    int version = Workflow.getVersion("report-to-parent", Workflow.DEFAULT_VERSION, 1);
    if (version == Workflow.DEFAULT_VERSION) {
      return;
    }
    Workflow.newDetachedCancellationScope(
            () -> {
              try {
                Workflow.newUntypedExternalWorkflowStub(parent.get())
                    .signal(RevocationNames.SIGNAL_REVOCATION_FINISHED, status());
              } catch (SignalExternalWorkflowException | ApplicationFailure parentGone) {
                log.info("parent {} has closed; not reported", parent.get());
              }
            })
        .run();
  }

  /** Sleeps on durable timers until the instant, starting over whenever an update moves it. */
  private void waitForInstant() {
    while (Workflow.currentTimeMillis() < scheduledAt.toEpochMilli() || changingSchedule) {
      int version = scheduleVersion;
      long remaining = Math.max(0, scheduledAt.toEpochMilli() - Workflow.currentTimeMillis());
      CancellationScope timerScope =
          Workflow.newCancellationScope(
              () -> {
                Promise<Void> timer = Workflow.newTimer(Duration.ofMillis(remaining));
                // A timer made stale by an update is cancelled below; its failure is expected.
                timer.exceptionally(cancelledTimer -> null);
                Workflow.await(
                    () -> (timer.isCompleted() && !changingSchedule) || scheduleVersion != version);
              });
      timerScope.run();
      if (scheduleVersion != version) {
        // The old timer is no longer wanted; cancelling it keeps the history free of it firing.
        timerScope.cancel();
      }
    }
  }

  /**
   * Stamps, and if the database says the instant moved later (a duplicate workflow sees its owner's
   * reschedule only here), waits again for the new instant.
   */
  private void stampUntilDone() {
    while (true) {
      current = activities.stamp(current.revocationId(), workflowNow());
      if (!owner) {
        current = current.withDuplicateOf(duplicateOf);
      }
      if (current.status() != RevocationState.SCHEDULED) {
        return;
      }
      scheduledAt = current.scheduledAt();
      state = RevocationState.SCHEDULED;
      Workflow.sleep(
          Duration.ofMillis(
              Math.max(0, scheduledAt.toEpochMilli() - Workflow.currentTimeMillis())));
      state = RevocationState.REVOKING;
    }
  }

  RevocationStatus status() {
    return new RevocationStatus(
        state,
        current == null ? null : current.revocationId(),
        scheduledAt,
        current == null ? null : current.keyCount(),
        current == null ? null : current.revokedBy(),
        duplicateOf,
        current == null ? null : current.message());
  }

  RevokeResult scheduled() {
    Workflow.await(() -> current != null || refusal != null);
    if (current == null) {
      throw refusal;
    }
    return current;
  }

  void validateRevokeNow() {
    requireChangeable();
  }

  RevocationStatus revokeNow() {
    return moveInstant(workflowNow());
  }

  void validateReschedule(RescheduleRequest request) {
    requireChangeable();
    try {
      RevokeRequestParser.revokeInSeconds(request == null ? null : request.revokeIn(), "revoke_in");
    } catch (ApiKeyException e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), e.getType().name());
    }
    if (request == null || request.revokeIn() == null || request.revokeIn().isNull()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "revoke_in: give the new number of seconds from now",
          ApiKeyErrorType.INVALID_DATA.name());
    }
  }

  RevocationStatus reschedule(RescheduleRequest request) {
    long seconds = RevokeRequestParser.revokeInSeconds(request.revokeIn(), "revoke_in");
    return moveInstant(workflowNow().plusSeconds(seconds));
  }

  private RevocationStatus moveInstant(Instant instant) {
    changingSchedule = true;
    try {
      current = activities.reschedule(current.revocationId(), instant);
      scheduledAt = current.scheduledAt();
      scheduleVersion++;
    } finally {
      changingSchedule = false;
    }
    return status();
  }

  /** Refuses an update, before it reaches history, once the revocation can no longer move. */
  private void requireChangeable() {
    if (state == RevocationState.VALIDATING) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the revocation is not scheduled yet; try again in a moment",
          ApiKeyErrorType.NOT_ALLOWED.name());
    }
    if (!owner) {
      throw ApplicationFailure.newNonRetryableFailure(
          "this workflow repeats an idempotency key; change the revocation through workflow "
              + (current == null ? "that owns it" : current.duplicateOf()),
          ApiKeyErrorType.NOT_ALLOWED.name());
    }
    if (state != RevocationState.SCHEDULED
        || changingSchedule
        || Workflow.currentTimeMillis() >= scheduledAt.toEpochMilli()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the scheduled instant has passed (state " + state.value() + "); the revocation stands",
          ApiKeyErrorType.NOT_ALLOWED.name());
    }
  }

  private ApplicationFailure refuse(ApplicationFailure failure) {
    state = RevocationState.REFUSED;
    refusal = failure;
    // Lets a waiting "scheduled" update see the refusal before the workflow closes.
    awaitHandlers();
    return failure;
  }

  private RevokeResult finish(RevokeResult result) {
    awaitHandlers();
    return result;
  }

  /**
   * Waits for running update handlers, in a detached scope: after a cancel request that came too
   * late to matter, a plain await would throw and turn a standing revocation into a cancelled
   * workflow.
   */
  private static void awaitHandlers() {
    Workflow.newDetachedCancellationScope(() -> Workflow.await(Workflow::isEveryHandlerFinished))
        .run();
  }

  private static Instant workflowNow() {
    return Instant.ofEpochMilli(Workflow.currentTimeMillis());
  }
}
