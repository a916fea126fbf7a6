package dev.apikeys.client;

import dev.apikeys.model.ApiKeyException;
import dev.apikeys.revocation.RescheduleRequest;
import dev.apikeys.revocation.Revocation;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevocationStatus;
import dev.apikeys.revocation.RevokeApiKeysWorkflow;
import dev.apikeys.revocation.RevokeNowRequest;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.store.RevocationStore;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.failure.CanceledFailure;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One revocation's workflow: what was scheduled, and the means to wait for it, ask it, move it or
 * cancel it. Refusals surface as {@code ApiKeyException}, as everywhere in this module.
 */
public final class RevocationHandle {
  private final WorkflowClient client;
  private final RevocationStore revocations;
  private final String workflowId;
  private final Revocation revocation;
  private RevokeResult scheduled;

  RevocationHandle(
      WorkflowClient client,
      RevocationStore revocations,
      String workflowId,
      Revocation revocation) {
    this.client = client;
    this.revocations = revocations;
    this.workflowId = workflowId;
    this.revocation = revocation;
  }

  public String workflowId() {
    return workflowId;
  }

  /**
   * The revocation as the workflow answered once its keys were scheduled: ids, count, instant and
   * state. Null for a handle by id.
   */
  public Revocation revocation() {
    return revocation;
  }

  /**
   * The scheduled revocation with its keys as the database has them now (as many as the result's
   * byte budget allows), read once. Null for a handle by id.
   */
  public synchronized RevokeResult scheduled() {
    if (scheduled == null && revocation != null) {
      scheduled =
          revocation.revocationId() == null
              ? revocation.toResult(null)
              : revocations
                  .describe(revocation.revocationId())
                  .withState(
                      revocation.status(), revocation.scheduledAt(), revocation.duplicateOf());
    }
    return scheduled;
  }

  /**
   * Waits for the revocation's outcome. A cancel that came after the instant leaves the revocation
   * standing; should Temporal have closed the workflow as cancelled anyway, this returns the
   * standing revocation (status {@code revoked}, the message saying so) rather than report a
   * cancellation that did not happen. A cancellation before the instant is thrown as the workflow's
   * {@code WorkflowFailedException}, a refusal as {@code ApiKeyException}.
   */
  public RevokeResult await(Duration timeout) throws TimeoutException {
    try {
      return untyped().getResult(timeout.toMillis(), TimeUnit.MILLISECONDS, RevokeResult.class);
    } catch (WorkflowFailedException e) {
      if (e.getCause() instanceof CanceledFailure) {
        RevocationStatus status = status();
        if (status.state() == RevocationState.REVOKED && status.revocationId() != null) {
          return revocations
              .describe(status.revocationId())
              .withStatus(RevocationState.REVOKED, status.message());
        }
        throw e;
      }
      throw ApiKeyModuleService.asRefusal(e);
    }
  }

  /** The workflow's {@code status} query; NOT_FOUND when no workflow has this id. */
  public RevocationStatus status() {
    try {
      return typed().status();
    } catch (WorkflowNotFoundException missing) {
      throw ApiKeyException.notFound("no revocation workflow with id \"" + workflowId + "\"");
    }
  }

  public RevocationStatus revokeNow() {
    return revokeNow(null);
  }

  /** Revokes at once; {@code by}, optional, is recorded as who did. */
  public RevocationStatus revokeNow(String by) {
    try {
      return typed().revokeNow(new RevokeNowRequest(by));
    } catch (WorkflowUpdateException e) {
      throw ApiKeyModuleService.asRefusal(e);
    } catch (WorkflowNotFoundException | WorkflowFailedException closed) {
      throw closedRefusal();
    }
  }

  public RevocationStatus reschedule(long revokeInSeconds) {
    return reschedule(revokeInSeconds, null);
  }

  /** Moves the instant to {@code revokeInSeconds} from now; {@code by} is recorded as who did. */
  public RevocationStatus reschedule(long revokeInSeconds, String by) {
    try {
      return typed().reschedule(RescheduleRequest.inSeconds(revokeInSeconds, by));
    } catch (WorkflowUpdateException e) {
      throw ApiKeyModuleService.asRefusal(e);
    } catch (WorkflowNotFoundException | WorkflowFailedException closed) {
      throw closedRefusal();
    }
  }

  /**
   * An update sent after the workflow closed reaches no workflow, and Temporal says "not found";
   * one that reached it as it closed (a cancel arriving first, say) was never accepted, and
   * Temporal reports how the workflow closed. Either way nothing was moved: the caller is told that
   * the revocation is final (NOT_ALLOWED), or NOT_FOUND when no workflow of that id ever existed.
   * (The workflow answers every update it accepted before it closes.)
   */
  private ApiKeyException closedRefusal() {
    RevocationStatus status;
    try {
      status = status();
    } catch (ApiKeyException notFound) {
      return notFound;
    }
    return ApiKeyException.notAllowed(
        "revocation workflow \""
            + workflowId
            + "\" has closed ("
            + status.state().value()
            + "); it can no longer be changed");
  }

  /** Asks the workflow to cancel; before the instant it restores the keys, after it nothing. */
  public void cancel() {
    cancel(null);
  }

  /** As {@link #cancel()}; {@code by} travels as the cancel request's reason and is recorded. */
  public void cancel(String by) {
    if (by == null) {
      untyped().cancel();
    } else {
      untyped().cancel(by);
    }
  }

  public RevocationStatus cancelAndWait(Duration timeout) throws TimeoutException {
    return cancelAndWait(timeout, null);
  }

  /**
   * Cancels and waits for the workflow to close, then says what became of the revocation: its
   * status, {@code cancelled} with the keys restored. When the instant had already passed, the
   * cancel did not happen: NOT_ALLOWED, with the message that the revocation stands; the same for a
   * workflow that only repeats another's idempotency key (it stops waiting, the revocation goes on)
   * and for one that had already closed.
   */
  public RevocationStatus cancelAndWait(Duration timeout, String by) throws TimeoutException {
    WorkflowStub stub = untyped();
    try {
      cancel(by);
      stub.getResult(timeout.toMillis(), TimeUnit.MILLISECONDS, RevokeResult.class);
    } catch (WorkflowNotFoundException | WorkflowFailedException closed) {
      // Closed already, or closed by this cancel: the status query says which way.
    }
    RevocationStatus status = status();
    if (status.state() != RevocationState.CANCELLED) {
      throw ApiKeyException.notAllowed(
          status.message() != null
                  && (status.state() == RevocationState.REVOKED || status.duplicateOf() != null)
              ? status.message()
              : "revocation workflow \""
                  + workflowId
                  + "\" is "
                  + status.state().value()
                  + "; nothing was cancelled");
    }
    return status;
  }

  private RevokeApiKeysWorkflow typed() {
    return client.newWorkflowStub(RevokeApiKeysWorkflow.class, workflowId);
  }

  private WorkflowStub untyped() {
    return client.newUntypedWorkflowStub(workflowId);
  }
}
