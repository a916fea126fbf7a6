package dev.apikeys.revocation;

import io.temporal.activity.ActivityOptions;
import io.temporal.workflow.Workflow;
import java.time.Duration;

/** Runs the reconcile activity once; its retries cover a database or Temporal briefly away. */
public class ReconcileRevocationsWorkflowImpl implements ReconcileRevocationsWorkflow {
  private final ReconcileActivities activities =
      Workflow.newActivityStub(
          ReconcileActivities.class,
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofMinutes(30))
              .setHeartbeatTimeout(Duration.ofSeconds(30))
              .setRetryOptions(ActivityRefusals.retryOptions(10))
              .build());

  @Override
  public ReconcileReport reconcile() {
    return activities.reconcile();
  }
}
