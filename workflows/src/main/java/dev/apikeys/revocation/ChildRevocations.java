package dev.apikeys.revocation;

import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowCancellationType;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInfo;

/**
 * Runs a revocation as a child of the calling workflow, the one right way: the child's id comes
 * from an idempotency key derived from the parent and a step name (so a retried parent step joins
 * the same revocation), the parent's cancellation reaches the child and waits for its keys to be
 * restored, and a parent that simply completes leaves the child running to its instant.
 *
 * <p>Call it from workflow code only.
 */
public final class ChildRevocations {
  private ChildRevocations() {}

  /** A started child revocation: its workflow id, and its result when it closes. */
  public record Started(String workflowId, Promise<RevokeResult> result) {}

  /**
   * Starts the child and returns once the server has accepted it. {@code step} names the parent's
   * step ("revoke-user-keys") and must be stable across replays and retries.
   */
  public static Started start(
      String step, RevokeRequest request, SharedContext parentContext) {
    SharedContext context = childContext(step, parentContext);
    RevokeRequest withContext = request.withContext(context);
    String workflowId = RevocationNames.workflowIdFor(context.idempotencyKey());
    RevokeApiKeysWorkflow child =
        Workflow.newChildWorkflowStub(
            RevokeApiKeysWorkflow.class,
            ChildWorkflowOptions.newBuilder()
                .setWorkflowId(workflowId)
                .setTaskQueue(RevocationNames.TASK_QUEUE)
                .setParentClosePolicy(ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON)
                .setCancellationType(ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED)
                .build());
    Promise<RevokeResult> result = Async.function(child::revoke, withContext);
    Workflow.getWorkflowExecution(child).get();
    return new Started(workflowId, result);
  }

  /** Starts the child and waits for its result; a refusal arrives as a {@code ChildWorkflowFailure}. */
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
        parent.cancelingFromParentStep());
  }
}
