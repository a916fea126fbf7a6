package dev.apikeys.revocation;

import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowCancellationType;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInfo;

/**
 * Runs a revocation as a child of the calling workflow, the one right way: on the parent's own task
 * queue (unless the caller names another), with the child's id derived from an idempotency key of
 * the parent and a step name (so a retried parent step gets the same revocation), the parent's
 * cancellation reaching the child and waiting for its keys to be restored, and a parent that simply
 * completes leaving the child running to its instant.
 *
 * <p>One step, one request: when the step's child is already running (a reset or re-run parent, or
 * the step called twice), a second child under an id of its own asks the database, which answers
 * with the running revocation for the same request ({@code duplicate_of} names the first child) and
 * CONFLICT for any other.
 *
 * <p>Call it from workflow code only.
 */
public final class ChildRevocations {
  private ChildRevocations() {}

  /**
   * A started child revocation: the workflow id of the revocation (to query, move or cancel it),
   * and its result when it closes.
   */
  public record Started(String workflowId, Promise<RevokeResult> result) {}

  /**
   * Starts the child on the parent's task queue and returns once the server has accepted it. {@code
   * step} names the parent's step ("revoke-user-keys") and must be stable across replays and
   * retries.
   */
  public static Started start(String step, RevokeRequest request, SharedContext parentContext) {
    return start(step, request, parentContext, Workflow.getInfo().getTaskQueue());
  }

  /** As {@link #start(String, RevokeRequest, SharedContext)}, on the task queue named. */
  public static Started start(
      String step, RevokeRequest request, SharedContext parentContext, String taskQueue) {
    SharedContext context = childContext(step, parentContext);
    RevokeRequest withContext = request.withContext(context);
    String workflowId = RevocationNames.workflowIdFor(context.idempotencyKey());
    try {
      return startChild(workflowId, withContext, taskQueue);
    } catch (ChildWorkflowFailure failure) {
      if (!(failure.getCause() instanceof WorkflowExecutionAlreadyStarted)) {
        throw failure;
      }
      // The joining child waits for the revocation and answers with its result; the revocation
      // itself is still the first child's, whose id is the one to query, move or cancel.
      Started joining =
          startChild(workflowId + "/" + Workflow.randomUUID(), withContext, taskQueue);
      return new Started(workflowId, joining.result());
    }
  }

  private static Started startChild(String workflowId, RevokeRequest request, String taskQueue) {
    RevokeApiKeysWorkflow child =
        Workflow.newChildWorkflowStub(
            RevokeApiKeysWorkflow.class,
            ChildWorkflowOptions.newBuilder()
                .setWorkflowId(workflowId)
                .setTaskQueue(taskQueue)
                .setParentClosePolicy(ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON)
                .setCancellationType(ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED)
                .build());
    Promise<RevokeResult> result = Async.function(child::revoke, request, null);
    Workflow.getWorkflowExecution(child).get();
    return new Started(workflowId, result);
  }

  /**
   * Starts the child and waits for its result; a refusal arrives as a {@code ChildWorkflowFailure}.
   */
  public static RevokeResult revoke(
      String step, RevokeRequest request, SharedContext parentContext) {
    return start(step, request, parentContext).result().get();
  }

  /**
   * The child's context: the parent's request, transaction, run and event group carried over; the
   * parent's own idempotency key (or, without one, its workflow id) recorded as {@code
   * parentStepIdempotencyKey}; and a child idempotency key of parent key + step.
   */
  public static SharedContext childContext(String step, SharedContext parentContext) {
    SharedContext parent = parentContext == null ? SharedContext.EMPTY : parentContext;
    WorkflowInfo info = Workflow.getInfo();
    String parentKey =
        parent.idempotencyKey() != null ? parent.idempotencyKey() : info.getWorkflowId();
    return new SharedContext(
        parent.requestId(),
        parent.transactionId(),
        parent.runId() != null ? parent.runId() : info.getRunId(),
        parent.eventGroupId(),
        parentKey + ":" + step,
        parentKey,
        parent.preventReleaseEvents(),
        parent.isCancelling(),
        parent.cancelingFromParentStep(),
        parent.isolationLevel(),
        parent.enableNestedTransactions(),
        null,
        null,
        null);
  }
}
