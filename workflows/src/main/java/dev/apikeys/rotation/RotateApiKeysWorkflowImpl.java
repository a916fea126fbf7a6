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
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.List;

/** See {@link RotateApiKeysWorkflow}. Deterministic: the database work is in activities. */
public class RotateApiKeysWorkflowImpl implements RotateApiKeysWorkflow {
  private final RotationActivities activities =
      Workflow.newActivityStub(
          RotationActivities.class,
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofMinutes(5))
              .setRetryOptions(ActivityRefusals.retryOptions(50))
              .build());

  @Override
  public RotationResult rotate(RotateRequest request) {
    String workflowId = Workflow.getInfo().getWorkflowId();
    ValidRotateRequest valid;
    try {
      valid = ValidRotateRequest.parse(request);
    } catch (ApiKeyException e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), e.getType().name());
    }
    try {
      RotationPlan plan = activities.plan(workflowId, valid);
      if (plan.alreadyCreated()) {
        return new RotationResult(plan.rotationId(), workflowId, null, null, null,
            "already rotated by an earlier run of this workflow; its raw tokens were shown then");
      }
      if (plan.entries().isEmpty()) {
        return new RotationResult(plan.rotationId(), workflowId, null, null, null,
            "no active key matched");
      }
      List<IssuedToken> tokens = activities.issueTokens(plan);
      List<RotationResult.Successor> successors =
          activities.createSuccessors(plan.rotationId(), tokens);

      ObjectNode selector = JsonNodeFactory.instance.objectNode();
      ArrayNode ids = selector.putArray("id");
      plan.entries().forEach(e -> ids.add(e.oldKeyId()));
      ChildRevocations.Started revocation =
          ChildRevocations.start(
              "revoke-old-keys",
              RevokeRequest.ofSelector(
                  selector, new RevokeApiKeyDTO(valid.rotatedBy(), valid.graceSeconds()), null),
              SharedContext.EMPTY);
      return new RotationResult(
          plan.rotationId(), workflowId, successors, revocation.workflowId(), valid.graceSeconds(),
          null);
    } catch (ActivityFailure f) {
      throw ActivityRefusals.asWorkflowFailure(f);
    }
  }
}
