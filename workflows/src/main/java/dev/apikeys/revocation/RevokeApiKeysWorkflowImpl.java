package dev.apikeys.revocation;

import dev.apikeys.model.ApiKeyException;
import io.temporal.activity.ActivityOptions;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Functions;
import io.temporal.workflow.SignalExternalWorkflowException;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInfo;
import io.temporal.workflow.WorkflowLock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.slf4j.Logger;

/**
 * The revocation workflow. Only deterministic code lives here: time is workflow time, waiting is a
 * durable timer, and everything that touches the database is an activity.
 *
 * <p>The rules that make every answer true, whenever a cancel or an update arrives:
 *
 * <ul>
 *   <li>The main body runs in a detached scope, so a cancel never interrupts an activity halfway:
 *       every activity's answer is heard, and a cancel is a request the body acts on when it
 *       reaches a decision point.
 *   <li>Whether a cancel or a move came before the instant is decided by the activity, in the
 *       database, in the transaction that acts on it; the workflow follows that answer.
 *   <li>Update handlers and the body's decisions take one {@link WorkflowLock}, so the state the
 *       query reports is never half changed.
 * </ul>
 *
 * <p>Revocations started by the code before {@link #VERSION_CHANGE} run {@link
 * LegacyRevokeApiKeysWorkflow} to their end, unchanged.
 */
public class RevokeApiKeysWorkflowImpl implements RevokeApiKeysWorkflow {
  private static final Logger log = Workflow.getLogger(RevokeApiKeysWorkflowImpl.class);

  /**
   * The {@code Workflow.getVersion} change id of this implementation. Histories without its marker
   * ran the legacy code, and still do.
   */
  static final String VERSION_CHANGE = "revocation-v2";

  public static final String STANDS_MESSAGE =
      "cancel requested after the scheduled instant; the revocation stands";

  static final String CANCELLED_BEFORE_SCHEDULING =
      "cancelled before anything was scheduled; no key was changed";

  /**
   * A run continues as new once its history is this long (or when the server suggests it), so a
   * revocation that is rescheduled for years keeps its history far below Temporal's limits.
   */
  static final int HISTORY_LENGTH_LIMIT = 2_000;

  /**
   * Every revocation activity is one transaction. The start-to-close timeout is the outer bound for
   * one over hundreds of thousands of keys, well beyond the database's own statement and lock
   * timeouts; the activities heartbeat while they run, so a worker that dies mid-call is noticed
   * within the heartbeat timeout and the call retried elsewhere.
   */
  private static ActivityOptions activityOptions(int maxAttempts) {
    return ActivityOptions.newBuilder()
        .setStartToCloseTimeout(Duration.ofMinutes(10))
        .setHeartbeatTimeout(Duration.ofSeconds(15))
        .setRetryOptions(ActivityRefusals.retryOptions(maxAttempts))
        .build();
  }

  // What a caller waits for (schedule, reschedule) gives up after a bounded number of attempts,
  // about an hour and a half of outage; refusals are never retried.
  private final RevocationActivities awaited =
      Workflow.newActivityStub(RevocationActivities.class, activityOptions(100));

  // What must finish (the stamp, the cancel's undo) retries until it does, backing off to a
  // minute between attempts.
  private final RevocationActivities mustFinish =
      Workflow.newActivityStub(RevocationActivities.class, activityOptions(0));

  /**
   * A single key's schedule and stamp are short database calls: served as local activities, they
   * run inside the workflow task that asks for them, which saves two activity tasks and two
   * workflow tasks per revocation. A selector's revocation, of unknown size, stays on the regular
   * activities above, which heartbeat. Which one is decided from the request alone, so replay
   * decides the same.
   */
  private static LocalActivityOptions localOptions(int maxAttempts) {
    return LocalActivityOptions.newBuilder()
        .setStartToCloseTimeout(Duration.ofSeconds(30))
        // The SDK retries a local activity without an attempt limit only within a schedule-to-
        // close timeout (sdk-java#1727): longer than any revocation can wait.
        .setScheduleToCloseTimeout(Duration.ofDays(3_700))
        // Longer waits between attempts (an outage) are durable timers, not a worker's sleep.
        .setLocalRetryThreshold(Duration.ofSeconds(5))
        .setRetryOptions(ActivityRefusals.retryOptions(maxAttempts))
        .build();
  }

  private final RevocationActivities localAwaited =
      Workflow.newLocalActivityStub(RevocationActivities.class, localOptions(100));

  private final RevocationActivities localMustFinish =
      Workflow.newLocalActivityStub(RevocationActivities.class, localOptions(0));

  /** Added after the first v2 histories: revocations started before it keep regular activities. */
  static final String LOCAL_ACTIVITIES_CHANGE = "single-key-local-activities";

  /** Whether this revocation's schedule and stamp run as local activities. */
  private boolean local;

  private final WorkflowLock lock = Workflow.newWorkflowLock();

  /** Set once the version is known; the legacy code then answers every handler. */
  private LegacyRevokeApiKeysWorkflow legacy;

  private boolean started;
  private CancellationScope root;
  private RevocationState state = RevocationState.VALIDATING;
  private ValidRevokeRequest request;
  private String fingerprint;
  private Revocation revocation;
  private UpdatableTimer instant;
  private ApplicationFailure refusal;
  private String message;
  private boolean cancelDecided;

  /**
   * This workflow was cancelled (not: the revocation it repeats was), so it closes as cancelled.
   */
  private boolean closeAsCancelled;

  private int runs;

  @Override
  public RevokeResult revoke(RevokeRequest input, ContinuedRevocation continued) {
    if (continued == null
        && Workflow.getVersion(VERSION_CHANGE, Workflow.DEFAULT_VERSION, 1)
            == Workflow.DEFAULT_VERSION) {
      legacy = new LegacyRevokeApiKeysWorkflow();
      started = true;
      return legacy.revoke(input);
    }
    root = CancellationScope.current();
    started = true;
    RevokeResult[] result = new RevokeResult[1];
    Workflow.newDetachedCancellationScope(() -> result[0] = run(input, continued)).run();
    if (closeAsCancelled) {
      throw new CanceledFailure(message);
    }
    if (refusal != null) {
      throw refusal;
    }
    return result[0];
  }

  /** The body, in a scope of its own: nothing in it is interrupted by a cancel. */
  private RevokeResult run(RevokeRequest input, ContinuedRevocation continued) {
    if (continued != null) {
      request = continued.request();
      local = chooseLocal(request);
      fingerprint = continued.fingerprint();
      revocation = continued.revocation();
      runs = continued.runs() + 1;
      instant = new UpdatableTimer(revocation.scheduledAt());
      state = RevocationState.SCHEDULED;
    } else {
      try {
        request = RevokeRequestParser.parse(input);
      } catch (ApiKeyException e) {
        refuse(e.toFailure());
        return null;
      }
      fingerprint = RequestFingerprint.of(request);
      local = chooseLocal(request);
      if (request.context().cancelling()) {
        state = RevocationState.SKIPPED;
        message = "context.isCancelling is true: nothing was scheduled";
        awaitHandlers();
        return new RevokeResult(
            null,
            Workflow.getInfo().getWorkflowId(),
            RevocationState.SKIPPED,
            request.revokedBy(),
            null,
            0,
            false,
            null,
            null,
            message);
      }
      if (root.isCancelRequested()) {
        return cancelledBeforeScheduling();
      }
      if (!schedule()) {
        return null;
      }
    }

    if (revocation.status() == RevocationState.CANCELLED) {
      // A duplicate of a revocation that was cancelled: nothing is left to wait for.
      state = RevocationState.CANCELLED;
      message = "the revocation " + revocation.revocationId() + " it repeats was cancelled";
      awaitHandlers();
      return revocation.toResult(message);
    }
    RevokeResult result = waitAndStamp();
    if (result == null) {
      reportToParent();
      awaitHandlers();
      return null;
    }
    if (message == null && root.isCancelRequested()) {
      message = STANDS_MESSAGE;
    }
    if (message != null) {
      result = result.withStatus(result.status(), message);
      log.info("revocation {}: {}", result.revocationId(), message);
    }
    if (!revocation.owned()) {
      result = result.withDuplicateOf(revocation.duplicateOf());
    }
    reportToParent();
    awaitHandlers();
    return result;
  }

  /** Runs the schedule activity; false when the request was refused. */
  private boolean schedule() {
    WorkflowInfo info = Workflow.getInfo();
    Instant at = now().plusSeconds(request.revokeInSeconds());
    Revocation scheduled;
    try {
      scheduled =
          (local ? localAwaited : awaited)
              .schedule(
                  new ScheduleRevocation(
                      info.getWorkflowId(), originalRunId(info), request, at, fingerprint));
    } catch (ActivityFailure f) {
      refuse(ActivityRefusals.asWorkflowFailure(f));
      return false;
    }
    revocation = scheduled;
    instant = new UpdatableTimer(scheduled.scheduledAt());
    state =
        scheduled.status() == RevocationState.REVOKED
            ? RevocationState.REVOKING
            : RevocationState.SCHEDULED;
    log.info(
        "revocation {} scheduled at {} for {} keys{}",
        scheduled.revocationId(),
        scheduled.scheduledAt(),
        scheduled.keyCount(),
        scheduled.owned() ? "" : " (duplicate of " + scheduled.duplicateOf() + ")");
    return true;
  }

  /**
   * Waits for the instant and stamps; acts on a cancel when one comes first. Returns the stamped
   * result, or null when the revocation was cancelled.
   */
  private RevokeResult waitAndStamp() {
    while (true) {
      boolean reached = instant.awaitDeadlineOr(() -> cancelPending() || continueAsNewDue());
      lock.lock();
      try {
        if (cancelPending()) {
          cancelDecided = true;
          if (!decideCancel()) {
            return null;
          }
        } else if (!reached || !instant.hasPassed()) {
          if (continueAsNewDue()) {
            continueAsNew();
          }
          // The instant moved while this waited.
          continue;
        }
        state = RevocationState.REVOKING;
        RevokeResult stamped =
            (local ? localMustFinish : mustFinish).stamp(revocation.revocationId(), now());
        if (stamped.status() == RevocationState.SCHEDULED) {
          // Not due by the database's clock, or moved later by the owner (a duplicate learns of
          // its owner's reschedules only here): wait for the instant the database gives.
          revocation = withState(stamped);
          instant.moveTo(stamped.scheduledAt());
          state = RevocationState.SCHEDULED;
          continue;
        }
        revocation = withState(stamped);
        state = stamped.status();
        return stamped;
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * A cancel arrived before this workflow stamped. The owner asks the database, which cancels if
   * the instant has not come and otherwise says the revocation stands; a duplicate only stops
   * waiting. Returns true when the revocation stands and is to be stamped.
   */
  private boolean decideCancel() {
    closeAsCancelled = true;
    if (!revocation.owned()) {
      // The revocation is not this workflow's to cancel: the state stays the revocation's, so
      // nobody reads "cancelled" here while the keys are still scheduled.
      message =
          "this workflow repeats the idempotency key of workflow "
              + revocation.duplicateOf()
              + " and stopped waiting; the revocation is not cancelled (cancel it through that"
              + " workflow)";
      return false;
    }
    Revocation after = mustFinish.cancel(revocation.revocationId(), now(), cancelledBy());
    revocation = after;
    if (after.status() == RevocationState.CANCELLED) {
      state = RevocationState.CANCELLED;
      message = "cancelled before the scheduled instant; the keys are as they were";
      log.info("revocation {} cancelled before its instant", after.revocationId());
      return false;
    }
    closeAsCancelled = false;
    message = STANDS_MESSAGE;
    instant.moveTo(after.scheduledAt());
    return true;
  }

  private RevokeResult cancelledBeforeScheduling() {
    state = RevocationState.CANCELLED;
    cancelDecided = true;
    closeAsCancelled = true;
    message = CANCELLED_BEFORE_SCHEDULING;
    awaitHandlers();
    return null;
  }

  private static boolean chooseLocal(ValidRevokeRequest request) {
    if (request == null || !request.singleKey()) {
      return false;
    }
    return Workflow.getVersion(LOCAL_ACTIVITIES_CHANGE, Workflow.DEFAULT_VERSION, 1) == 1;
  }

  /** The run id a reset keeps; the run's own where the server does not record one. */
  private static String originalRunId(WorkflowInfo info) {
    String original = info.getOriginalExecutionRunId();
    return original == null || original.isEmpty() ? info.getRunId() : original;
  }

  private boolean cancelPending() {
    return root.isCancelRequested() && !cancelDecided;
  }

  /**
   * Who cancelled: the cancel request's reason, as {@code apikeys revocation cancel --by} sets it.
   */
  private String cancelledBy() {
    String reason = root.getCancellationReason();
    return reason == null || reason.isBlank() ? null : reason;
  }

  private boolean continueAsNewDue() {
    WorkflowInfo info = Workflow.getInfo();
    return info.getHistoryLength() > HISTORY_LENGTH_LIMIT || info.isContinueAsNewSuggested();
  }

  /**
   * Hands the revocation to a new run once no handler is running; the next run restores it and
   * waits for the same instant. Called with the lock held, which it releases while it waits.
   */
  private void continueAsNew() {
    lock.unlock();
    try {
      Workflow.await(() -> Workflow.isEveryHandlerFinished() || cancelPending());
    } finally {
      lock.lock();
    }
    if (cancelPending()) {
      return;
    }
    log.info("revocation {}: continuing as new (run {})", revocation.revocationId(), runs + 1);
    Workflow.continueAsNew(
        (RevokeRequest) null, new ContinuedRevocation(request, fingerprint, revocation, runs));
  }

  private Revocation withState(RevokeResult r) {
    return new Revocation(
        r.revocationId(),
        r.workflowId(),
        r.status(),
        r.revokedBy(),
        r.scheduledAt(),
        r.keyCount(),
        revocation.duplicateOf());
  }

  /**
   * Tells a parent workflow that its revocation is done (signal {@value
   * RevocationNames#SIGNAL_REVOCATION_FINISHED} with the final status), unless the revocation was
   * started with {@code cancelingFromParentStep}: then the parent step is itself unwinding and must
   * not be called back. A parent that has already closed is not an error.
   */
  private void reportToParent() {
    var parent = Workflow.getInfo().getParentWorkflowId();
    if (parent.isEmpty() || request == null || request.context().fromParentStep()) {
      return;
    }
    try {
      Workflow.newUntypedExternalWorkflowStub(parent.get())
          .signal(RevocationNames.SIGNAL_REVOCATION_FINISHED, status());
    } catch (SignalExternalWorkflowException | ApplicationFailure parentGone) {
      log.info("parent {} has closed; not reported", parent.get());
    }
  }

  // ---- query and updates ----------------------------------------------------------------------

  @Override
  public RevocationStatus status() {
    if (legacy != null) {
      return legacy.status();
    }
    return new RevocationStatus(
        state,
        revocation == null ? null : revocation.revocationId(),
        revocation == null ? null : instant.deadline(),
        revocation == null ? null : revocation.keyCount(),
        revocation == null
            ? (request == null ? null : request.revokedBy())
            : revocation.revokedBy(),
        revocation == null ? null : revocation.duplicateOf(),
        refusal != null ? refusal.getOriginalMessage() : message,
        refusal != null ? refusal.getType() : null);
  }

  /**
   * Refuses, before it reaches history, a joining request that differs from the revocation this
   * workflow holds. While the workflow has not reached the database yet, any request is accepted
   * and the handler decides once it has.
   */
  @Override
  public void validateScheduled(RevokeRequest joining) {
    if (legacy == null && joining != null && revocation != null) {
      requireSameRequest(joining);
    }
  }

  @Override
  public Revocation scheduled(RevokeRequest joining) {
    Workflow.await(() -> started);
    if (legacy != null) {
      RevokeResult r = legacy.scheduled();
      return new Revocation(
          r.revocationId(),
          r.workflowId(),
          r.status(),
          r.revokedBy(),
          r.scheduledAt(),
          r.keyCount(),
          r.duplicateOf());
    }
    Workflow.await(
        () ->
            revocation != null
                || refusal != null
                || state == RevocationState.CANCELLED
                || state == RevocationState.SKIPPED);
    if (joining != null) {
      requireSameRequest(joining);
    }
    if (refusal != null) {
      throw refusal;
    }
    if (revocation == null) {
      // Skipped (isCancelling), or cancelled before anything was scheduled.
      return new Revocation(
          null,
          Workflow.getInfo().getWorkflowId(),
          state,
          request == null ? null : request.revokedBy(),
          null,
          0,
          null);
    }
    return revocation;
  }

  /**
   * A joining caller must ask for exactly what this workflow holds. The revocation this workflow
   * owns or repeats carries its idempotency key's one request, so any other request is CONFLICT. A
   * workflow that holds no revocation (refused, skipped, cancelled before scheduling) answers only
   * its own request; another one is sent again once this run has closed, and a new run answers it.
   */
  private void requireSameRequest(RevokeRequest joining) {
    String theirs;
    try {
      theirs = RequestFingerprint.of(RevokeRequestParser.parse(joining));
    } catch (ApiKeyException e) {
      throw e.toFailure();
    }
    if (theirs.equals(fingerprint)) {
      return;
    }
    if (revocation == null) {
      throw ApplicationFailure.newNonRetryableFailure(
          "workflow "
              + Workflow.getInfo().getWorkflowId()
              + " holds no revocation for this"
              + " request and is closing; start this request again once it has closed",
          RevocationNames.FAILURE_RETRY_AFTER_CLOSE);
    }
    String key = request == null ? null : request.context().idempotencyKey();
    String owner =
        revocation.owned() ? Workflow.getInfo().getWorkflowId() : revocation.duplicateOf();
    throw ApiKeyException.conflict(
            (key == null
                    ? "workflow " + Workflow.getInfo().getWorkflowId()
                    : "idempotency key \"" + key + "\"")
                + " was already used for a different revoke request (workflow "
                + owner
                + ")")
        .toFailure();
  }

  @Override
  public void validateRevokeNow(RevokeNowRequest change) {
    if (legacy != null) {
      legacy.validateRevokeNow();
      return;
    }
    if (started) {
      requireChangeable();
    }
    validateBy(change == null ? null : change.by());
  }

  @Override
  public RevocationStatus revokeNow(RevokeNowRequest change) {
    Workflow.await(() -> started);
    if (legacy != null) {
      return legacy.revokeNow();
    }
    return moveInstant(() -> now(), change == null ? null : change.by());
  }

  @Override
  public void validateReschedule(RescheduleRequest change) {
    if (legacy != null) {
      legacy.validateReschedule(change);
      return;
    }
    if (started) {
      requireChangeable();
    }
    if (change == null || change.revokeIn() == null || change.revokeIn().isNull()) {
      throw ApiKeyException.invalidData("revoke_in: give the new number of seconds from now")
          .toFailure();
    }
    try {
      RevokeRequestParser.revokeInSeconds(change.revokeIn(), "revoke_in");
    } catch (ApiKeyException e) {
      throw e.toFailure();
    }
    validateBy(change.by());
  }

  @Override
  public RevocationStatus reschedule(RescheduleRequest change) {
    Workflow.await(() -> started);
    if (legacy != null) {
      return legacy.reschedule(change);
    }
    long seconds = RevokeRequestParser.revokeInSeconds(change.revokeIn(), "revoke_in");
    return moveInstant(() -> now().plusSeconds(seconds), change.by());
  }

  /**
   * Moves the instant, under the lock, through the database; the new instant is computed once the
   * lock is held, from the workflow time of that moment.
   */
  private RevocationStatus moveInstant(Functions.Func<Instant> target, String by) {
    lock.lock();
    try {
      requireChangeable();
      Revocation moved;
      try {
        moved = awaited.reschedule(revocation.revocationId(), target.apply(), by, now());
      } catch (ActivityFailure f) {
        throw ActivityRefusals.asWorkflowFailure(f);
      }
      revocation = moved.withDuplicateOf(revocation.duplicateOf());
      instant.moveTo(moved.scheduledAt());
      return status();
    } finally {
      lock.unlock();
    }
  }

  private static void validateBy(String by) {
    if (by == null) {
      return;
    }
    try {
      RevokeRequestParser.requireText(by, "by");
    } catch (ApiKeyException e) {
      throw e.toFailure();
    }
  }

  /**
   * Refuses a change, before it reaches history, once the revocation can no longer move. A change
   * that arrives in a run's first workflow task comes before the run's method has begun (the run
   * after a continue-as-new, or one the reconciler starts, restores its revocation there): its
   * validator lets it through and its handler, which waits for the method, checks again.
   */
  private void requireChangeable() {
    if (state == RevocationState.VALIDATING) {
      throw ApiKeyException.notAllowed("the revocation is not scheduled yet; try again in a moment")
          .toFailure();
    }
    if (revocation != null && !revocation.owned()) {
      throw ApiKeyException.notAllowed(
              "this workflow repeats an idempotency key; change the revocation through workflow "
                  + revocation.duplicateOf())
          .toFailure();
    }
    if (root.isCancelRequested()) {
      throw ApiKeyException.notAllowed(
              "a cancel was requested; the revocation can no longer be moved")
          .toFailure();
    }
    if (state != RevocationState.SCHEDULED || instant.hasPassed()) {
      throw ApiKeyException.notAllowed(
              "the scheduled instant has passed (state "
                  + state.value()
                  + "); the revocation stands")
          .toFailure();
    }
  }

  private void refuse(ApplicationFailure failure) {
    state = RevocationState.REFUSED;
    refusal = failure;
    // The SDK's workflow scope reports nothing while a history is replayed: counted once.
    Workflow.getMetricsScope()
        .tagged(Map.of("refusal_type", failure.getType() == null ? "" : failure.getType()))
        .counter("apikeys_revocations_refused")
        .inc(1);
    // Lets a waiting "scheduled" update see the refusal before the workflow closes.
    awaitHandlers();
  }

  private static void awaitHandlers() {
    Workflow.await(Workflow::isEveryHandlerFinished);
  }

  private static Instant now() {
    return Instant.ofEpochMilli(Workflow.currentTimeMillis());
  }
}
