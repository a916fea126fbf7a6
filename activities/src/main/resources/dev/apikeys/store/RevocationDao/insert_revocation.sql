-- A new scheduled revocation, written once the matched keys are locked and Medusa's refusals were
-- checked. Its seq, taken here, after every earlier change to those keys has committed, orders the
-- revocations that reached each key.
insert into apikeys_revocation (id, idempotency_key, request_fingerprint, workflow_id,
  workflow_run_id, revoked_by, scheduled_at, status, key_count, request_id, transaction_id,
  run_id, event_group_id, parent_step_idempotency_key, canceling_from_parent_step, hold_events,
  isolation_level, reason)
values (:id, :idempotencyKey, :fingerprint, :workflowId, :workflowRunId, :revokedBy,
  :scheduledAt, 'scheduled', :keyCount, :requestId, :transactionId, :contextRunId, :eventGroupId,
  :parentStepIdempotencyKey, :fromParentStep, :holdEvents, :isolationLevel, :reason)
returning seq
