package dev.apikeys.revocation;

/**
 * Names that running workflows depend on. Changing any of them strands revocations whose timers are
 * still running, so they are pinned here and nowhere else.
 */
public final class RevocationNames {
  /** The task queue the worker polls unless configured otherwise. */
  public static final String TASK_QUEUE = "api-keys";

  /** The workflow type, as the Temporal CLI and other SDKs name it. */
  public static final String WORKFLOW_TYPE = "RevokeApiKeysWorkflow";

  public static final String QUERY_STATUS = "status";
  public static final String UPDATE_REVOKE_NOW = "revokeNow";
  public static final String UPDATE_RESCHEDULE = "reschedule";

  /** The update that Update-with-Start uses to return as soon as the keys are scheduled. */
  public static final String UPDATE_SCHEDULED = "scheduled";

  /**
   * The failure type of a {@code scheduled} update that joined a run holding no revocation for the
   * caller's request (it refused another request, or was skipped or cancelled before scheduling)
   * and is closing: not a refusal of the caller's request, which the caller sends again once that
   * run has closed (a new run of the same workflow id then answers it).
   */
  public static final String FAILURE_RETRY_AFTER_CLOSE = "RETRY_AFTER_CLOSE";

  /** Sent by a child revocation to its parent when it is done, unless told not to. */
  public static final String SIGNAL_REVOCATION_FINISHED = "revocationFinished";

  public static final String ACTIVITY_SCHEDULE = "ScheduleRevocation";
  public static final String ACTIVITY_STAMP = "StampRevocation";
  public static final String ACTIVITY_CANCEL = "CancelRevocation";
  public static final String ACTIVITY_RESCHEDULE = "RescheduleRevocation";

  /** The reconciler as a workflow and its activity. */
  public static final String RECONCILE_WORKFLOW_TYPE = "ReconcileRevocationsWorkflow";

  public static final String ACTIVITY_RECONCILE = "ReconcileRevocations";

  /** Prefix of the workflow ids this project chooses. */
  public static final String WORKFLOW_ID_PREFIX = "revoke-apikeys-";

  private RevocationNames() {}

  /**
   * The workflow id for an idempotency key: the same key always names the same workflow, so
   * Temporal itself deduplicates concurrent starts.
   */
  public static String workflowIdFor(String idempotencyKey) {
    return WORKFLOW_ID_PREFIX + idempotencyKey;
  }
}
