package dev.apikeys.module;

import dev.apikeys.model.ApiKeyException;
import dev.apikeys.revocation.RescheduleRequest;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevocationStatus;
import dev.apikeys.revocation.RevokeApiKeysWorkflow;
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
  private final RevokeResult scheduled;

  RevocationHandle(
      WorkflowClient client, RevocationStore revocations, String workflowId, RevokeResult scheduled) {
    this.client = client;
    this.revocations = revocations;
    this.workflowId = workflowId;
    this.scheduled = scheduled;
  }

  public String workflowId() {
    return workflowId;
  }

  /** The revocation as it was the moment its keys were scheduled; null for a handle by id. */
  public RevokeResult scheduled() {
    return scheduled;
  }

  /**
   * Waits for the revocation's outcome. A cancel that came after the instant leaves the
   * revocation standing, but Temporal still closes the workflow as cancelled; this returns the
   * standing revocation (status {@code revoked}, with the message saying so) rather than reporting
   * a cancellation that did not happen. A cancellation before the instant is thrown as the
   * workflow's {@code WorkflowFailedException}.
   */
  public RevokeResult await(Duration timeout) throws TimeoutException {
    try {
      return untyped().getResult(timeout.toMillis(), TimeUnit.MILLISECONDS, RevokeResult.class);
    } catch (WorkflowFailedException e) {
      if (e.getCause() instanceof CanceledFailure) {
        RevocationStatus status = status();
        if (status.state() == RevocationState.REVOKED && status.revocationId() != null) {
          return revocations.describe(status.revocationId())
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
    try {
      return typed().revokeNow();
    } catch (WorkflowUpdateException e) {
      throw ApiKeyModuleService.asRefusal(e);
    } catch (WorkflowNotFoundException e) {
      throw closedRefusal();
    }
  }

  public RevocationStatus reschedule(long revokeInSeconds) {
    try {
      return typed().reschedule(RescheduleRequest.inSeconds(revokeInSeconds));
    } catch (WorkflowUpdateException e) {
      throw ApiKeyModuleService.asRefusal(e);
    } catch (WorkflowNotFoundException e) {
      throw closedRefusal();
    }
  }

  /**
   * An update sent after the workflow closed reaches no workflow, and Temporal says "not found";
   * the caller is told instead that the revocation is final (NOT_ALLOWED), or NOT_FOUND when no
   * workflow of that id ever existed.
   */
  private ApiKeyException closedRefusal() {
    RevocationStatus status;
    try {
      status = status();
    } catch (ApiKeyException notFound) {
      return notFound;
    }
    return ApiKeyException.notAllowed(
        "revocation workflow \"" + workflowId + "\" has closed (" + status.state().value()
            + "); it can no longer be changed");
  }

  /** Asks the workflow to cancel; before the instant it restores the keys, after it nothing. */
  public void cancel() {
    untyped().cancel();
  }

  /**
   * Cancels and waits for the workflow to close, then says what became of the revocation:
   * {@code cancelled} (keys restored), or {@code revoked} with a message when the instant had
   * already passed and the revocation stands. A workflow that had already completed is not an
   * error: its status is returned as it is.
   */
  public RevocationStatus cancelAndWait(Duration timeout) throws TimeoutException {
    WorkflowStub stub = untyped();
    try {
      stub.cancel();
    } catch (WorkflowNotFoundException alreadyClosedOrUnknown) {
      return status();
    }
    try {
      stub.getResult(timeout.toMillis(), TimeUnit.MILLISECONDS, RevokeResult.class);
    } catch (WorkflowFailedException e) {
      // A cancelled workflow ends this way whether or not the revocation stands; the query says.
    }
    return status();
  }

  private RevokeApiKeysWorkflow typed() {
    return client.newWorkflowStub(RevokeApiKeysWorkflow.class, workflowId);
  }

  private WorkflowStub untyped() {
    return client.newUntypedWorkflowStub(workflowId);
  }
}
