package dev.apikeys.rotation;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Rotates keys: a successor per key (same title, type and created_by), then the old key revoked
 * after a grace period by a child {@code RevokeApiKeysWorkflow}. Started on demand or by a Temporal
 * Schedule ({@code apikeys rotation schedule}).
 */
@WorkflowInterface
public interface RotateApiKeysWorkflow {
  String WORKFLOW_TYPE = RotationNames.WORKFLOW_TYPE;

  @WorkflowMethod(name = WORKFLOW_TYPE)
  RotationResult rotate(RotateRequest request);
}
