package dev.apikeys.module;

import dev.apikeys.revocation.RescheduleRequest;
import dev.apikeys.revocation.RevocationStatus;
import dev.apikeys.revocation.RevokeApiKeysWorkflow;
import dev.apikeys.revocation.RevokeResult;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One revocation's workflow: what was scheduled, and the means to wait for it, ask it, move it or
 * cancel it. Refusals surface as {@code ApiKeyException}, as everywhere in this module.
 */
public final class RevocationHandle {
  private final WorkflowClient client;
  private final String workflowId;
  private final RevokeResult scheduled;

  RevocationHandle(WorkflowClient client, String workflowId, RevokeResult scheduled) {
    this.client = client;
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

  /** Waits for the workflow's result: revoked, or a duplicate's view of the original. */
  public RevokeResult await(Duration timeout) throws TimeoutException {
    try {
      return untyped().getResult(timeout.toMillis(), TimeUnit.MILLISECONDS, RevokeResult.class);
    } catch (WorkflowFailedException e) {
      throw ApiKeyModuleService.asRefusal(e);
    }
  }

  public RevocationStatus status() {
    return typed().status();
  }

  public RevocationStatus revokeNow() {
    try {
      return typed().revokeNow();
    } catch (WorkflowUpdateException e) {
      throw ApiKeyModuleService.asRefusal(e);
    }
  }

  public RevocationStatus reschedule(long revokeInSeconds) {
    try {
      return typed().reschedule(RescheduleRequest.inSeconds(revokeInSeconds));
    } catch (WorkflowUpdateException e) {
      throw ApiKeyModuleService.asRefusal(e);
    }
  }

  /** Asks the workflow to cancel; before the instant it restores the keys, after it nothing. */
  public void cancel() {
    untyped().cancel();
  }

  /**
   * Cancels and waits for the workflow to close, then says what became of the revocation:
   * {@code cancelled} (keys restored), or {@code revoked} with a message when the instant had
   * already passed and the revocation stands.
   */
  public RevocationStatus cancelAndWait(Duration timeout) throws TimeoutException {
    WorkflowStub stub = untyped();
    stub.cancel();
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
