package dev.apikeys.revocation;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.UpdateValidatorMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Medusa's {@code revoke(selector | id, data, sharedContext)} as a durable workflow step: validate,
 * resolve and schedule the keys, wait on a durable timer until the instant, then stamp. Cancelling
 * it before the instant restores the keys. Type names are pinned: renaming a method must not strand
 * a revocation whose timer is running.
 */
@WorkflowInterface
public interface RevokeApiKeysWorkflow {

  /**
   * @param request the reference's {@code {"id"|"selector", "data", "context"}}, as any client
   *     sends it
   * @param continued absent when a client starts a revocation; the state a run hands to the next
   *     when it continues as new
   */
  @WorkflowMethod(name = RevocationNames.WORKFLOW_TYPE)
  RevokeResult revoke(RevokeRequest request, ContinuedRevocation continued);

  /** The state, scheduled instant, key count and {@code revoked_by}, at any time. */
  @QueryMethod(name = RevocationNames.QUERY_STATUS)
  RevocationStatus status();

  /**
   * Waits until the keys are scheduled (or the request is refused) and returns the revocation: the
   * update that Update-with-Start sends, so that a caller gets the scheduled revocation without
   * waiting for the instant.
   *
   * @param joining the request of the caller; when it joins a workflow already running under the
   *     same idempotency key it must be the same request, or the update is refused with CONFLICT.
   *     Absent: no comparison.
   */
  @UpdateMethod(name = RevocationNames.UPDATE_SCHEDULED)
  Revocation scheduled(RevokeRequest joining);

  @UpdateValidatorMethod(updateName = RevocationNames.UPDATE_SCHEDULED)
  void validateScheduled(RevokeRequest joining);

  /** Revokes at once instead of at the scheduled instant. */
  @UpdateMethod(name = RevocationNames.UPDATE_REVOKE_NOW)
  RevocationStatus revokeNow(RevokeNowRequest request);

  @UpdateValidatorMethod(updateName = RevocationNames.UPDATE_REVOKE_NOW)
  void validateRevokeNow(RevokeNowRequest request);

  /** Moves the instant to {@code revoke_in} seconds from now, earlier or later. */
  @UpdateMethod(name = RevocationNames.UPDATE_RESCHEDULE)
  RevocationStatus reschedule(RescheduleRequest request);

  @UpdateValidatorMethod(updateName = RevocationNames.UPDATE_RESCHEDULE)
  void validateReschedule(RescheduleRequest request);
}
