package dev.apikeys.revocation;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * The reconciler as a workflow, for a Temporal Schedule (or a cron) to run: finds scheduled
 * revocations whose workflow is gone and finishes them (see {@code apikeys revocation reconcile}).
 * Its type name is pinned.
 */
@WorkflowInterface
public interface ReconcileRevocationsWorkflow {
  @WorkflowMethod(name = RevocationNames.RECONCILE_WORKFLOW_TYPE)
  ReconcileReport reconcile();
}
