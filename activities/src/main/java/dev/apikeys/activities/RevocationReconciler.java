package dev.apikeys.activities;

import dev.apikeys.metrics.ApiKeyMetrics;
import dev.apikeys.revocation.ContinuedRevocation;
import dev.apikeys.revocation.ReconcileReport;
import dev.apikeys.revocation.ReconcileReport.Finding;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.store.RevocationStore;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds revocations that the database holds as scheduled but that no running workflow is looking
 * after — its workflow was terminated, reset away, failed for good, or never started (a process
 * that died between committing a revocation and starting its workflow) — and finishes them:
 *
 * <ul>
 *   <li>past the instant (by the database's clock): stamps it, with its original instant, as its
 *       workflow would have;
 *   <li>before it: starts a fresh workflow under the revocation's own workflow id, which takes the
 *       revocation over (no second row) and waits for the same instant.
 * </ul>
 *
 * A revocation whose workflow runs is left alone. Safe to run at any time and as often as wanted: a
 * stamp is idempotent, and a workflow already started meanwhile is found running.
 */
public final class RevocationReconciler {
  private static final int PAGE = 200;

  private final WorkflowClient client;
  private final RevocationStore revocations;
  private final String taskQueue;
  private final ApiKeyMetrics metrics;

  public RevocationReconciler(
      WorkflowClient client, RevocationStore revocations, String taskQueue) {
    this(client, revocations, taskQueue, ApiKeyMetrics.NONE);
  }

  /**
   * @param metrics told of each revocation this finishes, stamped or restarted
   */
  public RevocationReconciler(
      WorkflowClient client, RevocationStore revocations, String taskQueue, ApiKeyMetrics metrics) {
    this.client = client;
    this.revocations = revocations;
    this.taskQueue = taskQueue;
    this.metrics = metrics;
  }

  /** Every scheduled revocation with the state of its workflow; changes nothing. */
  public List<Finding> list() {
    List<Finding> out = new ArrayList<>();
    forEachScheduled(
        pending ->
            out.add(finding(pending, workflowState(pending.revocation().workflowId()), null)));
    return out;
  }

  /** Finishes every scheduled revocation whose workflow is gone; see the class comment. */
  public ReconcileReport reconcile() {
    List<Finding> findings = new ArrayList<>();
    int[] counts = new int[4];
    forEachScheduled(
        pending -> {
          counts[0]++;
          String state = workflowState(pending.revocation().workflowId());
          if (state.equals("running")) {
            counts[1]++;
            return;
          }
          String action;
          if (pending.due()) {
            revocations.stamp(pending.revocation().revocationId(), null);
            action = "stamped";
            counts[2]++;
          } else {
            action = restart(pending);
            counts[action.equals("restarted") ? 3 : 1]++;
          }
          if (!action.equals("running")) {
            metrics.revocationReconciled(action);
          }
          if (findings.size() < ReconcileReport.MAX_LISTED) {
            findings.add(finding(pending, state, action));
          }
        });
    int acted = counts[2] + counts[3];
    return new ReconcileReport(
        counts[0], counts[1], counts[2], counts[3], findings, acted > findings.size());
  }

  private String restart(RevocationStore.Pending pending) {
    var revocation = pending.revocation();
    try {
      client
          .newUntypedWorkflowStub(
              RevocationNames.WORKFLOW_TYPE,
              WorkflowOptions.newBuilder()
                  .setWorkflowId(revocation.workflowId())
                  .setTaskQueue(taskQueue)
                  .build())
          .start(null, new ContinuedRevocation(null, pending.fingerprint(), revocation, 0));
      return "restarted";
    } catch (WorkflowExecutionAlreadyStarted startedMeanwhile) {
      return "running";
    }
  }

  private void forEachScheduled(java.util.function.Consumer<RevocationStore.Pending> action) {
    String after = null;
    while (true) {
      List<RevocationStore.Pending> page = revocations.scheduled(after, PAGE);
      page.forEach(action);
      if (page.size() < PAGE) {
        return;
      }
      after = page.get(page.size() - 1).revocation().revocationId();
    }
  }

  /** "running", "missing", or how the workflow closed ("completed", "terminated", …). */
  private String workflowState(String workflowId) {
    try {
      WorkflowExecutionStatus status =
          client.newUntypedWorkflowStub(workflowId).describe().getStatus();
      return status
          .name()
          .replace("WORKFLOW_EXECUTION_STATUS_", "")
          .toLowerCase(java.util.Locale.ROOT);
    } catch (WorkflowNotFoundException missing) {
      return "missing";
    }
  }

  private static Finding finding(RevocationStore.Pending pending, String state, String action) {
    var r = pending.revocation();
    return new Finding(
        r.revocationId(), r.workflowId(), r.scheduledAt(), r.keyCount(), state, action);
  }
}
