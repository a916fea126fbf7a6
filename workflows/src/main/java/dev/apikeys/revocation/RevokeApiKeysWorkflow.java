package dev.apikeys.revocation;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.UpdateValidatorMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Medusa's {@code revoke(selector | id, data, sharedContext)} as a durable workflow step:
 * validate, resolve and schedule the keys, wait on a durable timer until the instant, then stamp.
 * Cancelling it before the instant restores the keys. Type names are pinned: renaming a method
 * must not strand a revocation whose timer is running.
 */
@WorkflowInterface
public interface RevokeApiKeysWorkflow {

  @WorkflowMethod(name = RevocationNames.WORKFLOW_TYPE)
  RevokeResult revoke(RevokeRequest request);

  /** The state, scheduled instant, key count and {@code revoked_by}, at any time. */
  @QueryMethod(name = RevocationNames.QUERY_STATUS)
  RevocationStatus status();

  /**
   * Waits until the keys are scheduled (or the request is refused) and returns them: the update
   * that Update-with-Start sends so that a caller gets the scheduled keys without waiting for the
   * instant.
   */
  @UpdateMethod(name = RevocationNames.UPDATE_SCHEDULED)
  RevokeResult scheduled();

  /** Revokes at once instead of at the scheduled instant. */
  @UpdateMethod(name = RevocationNames.UPDATE_REVOKE_NOW)
  RevocationStatus revokeNow();

  @UpdateValidatorMethod(updateName = RevocationNames.UPDATE_REVOKE_NOW)
  void validateRevokeNow();

  /** Moves the instant to {@code revoke_in} seconds from now, earlier or later. */
  @UpdateMethod(name = RevocationNames.UPDATE_RESCHEDULE)
  RevocationStatus reschedule(RescheduleRequest request);

  @UpdateValidatorMethod(updateName = RevocationNames.UPDATE_RESCHEDULE)
  void validateReschedule(RescheduleRequest request);
}
