package dev.apikeys.examples;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.apikeys.revocation.RevokeResult;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * An example of a parent workflow: offboarding a user revokes every key the user created, after a
 * grace period. Cancelling the offboarding during the grace period cancels the revocation, which
 * puts the keys back.
 */
@WorkflowInterface
public interface OffboardUserWorkflow {
  String WORKFLOW_TYPE = "OffboardUserWorkflow";

  /**
   * @param userId the {@code created_by} of the keys to revoke
   * @param graceSeconds how long the keys keep working
   * @param offboardedBy recorded as {@code revoked_by}
   */
  record Offboarding(
      @JsonProperty("user_id") String userId,
      @JsonProperty("grace_seconds") long graceSeconds,
      @JsonProperty("offboarded_by") String offboardedBy) {}

  @WorkflowMethod(name = WORKFLOW_TYPE)
  RevokeResult offboard(Offboarding offboarding);
}
