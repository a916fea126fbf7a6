package dev.apikeys.rotation;

/**
 * Names that running rotations depend on, as {@code RevocationNames} holds revocation's. A rotation
 * runs on the revocation task queue ({@code RevocationNames.TASK_QUEUE} unless configured
 * otherwise). Changing a type, activity or step name strands rotations in flight, so they are
 * pinned here and nowhere else.
 */
public final class RotationNames {
  /** The workflow type, as the Temporal CLI, Schedules and other SDKs name it. */
  public static final String WORKFLOW_TYPE = "RotateApiKeysWorkflow";

  public static final String ACTIVITY_PLAN = "PlanRotation";
  public static final String ACTIVITY_CREATE_SUCCESSORS = "CreateSealedSuccessors";

  /**
   * The step name of the child revocation of a rotation's old keys; the child's workflow id derives
   * from it and the rotation's workflow id.
   */
  public static final String STEP_REVOKE_OLD_KEYS = "revoke-old-keys";

  /** Prefix of rotation workflow ids; a Schedule's runs add its id and their start time. */
  public static final String WORKFLOW_ID_PREFIX = "rotate-apikeys-";

  /** Prefix of the Schedule ids {@code apikeys rotation schedule} makes up when given none. */
  public static final String SCHEDULE_ID_PREFIX = "apikeys-rotation-";

  private RotationNames() {}

  /** The workflow id of the rotation named {@code suffix}: a random id, or a Schedule's id. */
  public static String workflowIdFor(String suffix) {
    return WORKFLOW_ID_PREFIX + suffix;
  }
}
