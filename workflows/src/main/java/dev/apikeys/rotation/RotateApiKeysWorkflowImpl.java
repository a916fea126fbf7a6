package dev.apikeys.rotation;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.revocation.ActivityRefusals;
import dev.apikeys.revocation.ChildRevocations;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.SharedContext;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.List;

/**
 * See {@link RotateApiKeysWorkflow}. Deterministic: the database work is in activities.
 *
 * <p>Once successors may exist, the old keys' revocation must start, whatever happens to this
 * workflow: otherwise the old keys stay active beside their successors. So creating the successors
 * and starting the revocation run in a scope a cancellation cannot reach, the creation is retried
 * until it succeeds, and a later run of the same workflow id that finds the successors already
 * created starts (or joins) the same revocation instead of returning early.
 */
public class RotateApiKeysWorkflowImpl implements RotateApiKeysWorkflow {
  /** The child revocation's step name; its workflow id derives from it and this workflow's id. */
  static final String REVOKE_OLD_KEYS_STEP = RotationNames.STEP_REVOKE_OLD_KEYS;

  private final RotationActivities planning =
      Workflow.newActivityStub(
          RotationActivities.class,
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofMinutes(5))
              .setRetryOptions(ActivityRefusals.retryOptions(50))
              .build());

  /** Unbounded retries: once it may have committed, only its success lets the rotation finish. */
  private final RotationActivities creation =
      Workflow.newActivityStub(
          RotationActivities.class,
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofMinutes(5))
              .setRetryOptions(ActivityRefusals.retryOptions(0))
              .build());

  @Override
  public RotationResult rotate(RotateRequest request) {
    String workflowId = Workflow.getInfo().getWorkflowId();
    ValidRotateRequest valid;
    try {
      valid = ValidRotateRequest.parse(request);
    } catch (ApiKeyException e) {
      throw e.toFailure();
    }
    try {
      RotationPlan plan = planning.plan(workflowId, valid);
      if (plan.entries().isEmpty()) {
        return new RotationResult(
            plan.rotationId(),
            workflowId,
            plan.recipient(),
            null,
            null,
            null,
            "no active key matched");
      }
      Created created = new Created();
      Workflow.newDetachedCancellationScope(
              () -> {
                created.successors = creation.createSuccessors(plan.rotationId());
                created.revocationWorkflowId = startRevocationOfOldKeys(plan);
              })
          .run();
      return new RotationResult(
          plan.rotationId(),
          workflowId,
          plan.recipient(),
          created.successors,
          created.revocationWorkflowId,
          plan.graceSeconds(),
          plan.alreadyCreated()
              ? "already rotated by an earlier run of this workflow; the successors and their"
                  + " sealed tokens are the ones it created"
              : null);
    } catch (ActivityFailure f) {
      throw ActivityRefusals.asWorkflowFailure(f);
    }
  }

  /** What the uncancellable part produced. */
  private static final class Created {
    List<RotationResult.Successor> successors;
    String revocationWorkflowId;
  }

  /**
   * Starts the child revocation of the plan's old keys, with what the plan recorded (a re-run's
   * request may differ; the revocation must not). Its workflow id derives from this workflow's id,
   * so a re-run names the same child: if that one is still waiting out the grace period the start
   * is refused as already started, which means the revocation is running, as wanted; if it has
   * closed, a new run joins the same revocation by its idempotency key.
   */
  private static String startRevocationOfOldKeys(RotationPlan plan) {
    ObjectNode selector = JsonNodeFactory.instance.objectNode();
    ArrayNode ids = selector.putArray("id");
    plan.entries().forEach(e -> ids.add(e.oldKeyId()));
    RevokeRequest request =
        RevokeRequest.ofSelector(
            selector, new RevokeApiKeyDTO(plan.rotatedBy(), plan.graceSeconds()), null);
    try {
      return ChildRevocations.start(REVOKE_OLD_KEYS_STEP, request, SharedContext.EMPTY)
          .workflowId();
    } catch (ChildWorkflowFailure f) {
      if (f.getCause() instanceof WorkflowExecutionAlreadyStarted) {
        return f.getExecution().getWorkflowId();
      }
      throw f;
    }
  }
}
