package dev.apikeys.rotation;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/** The database side of a rotation; each method is one transaction and safe to retry. */
@ActivityInterface
public interface RotationActivities {

  /**
   * Resolves the keys (active keys only; a key named by id that is revoked or about to be is
   * refused), fixes their successors' ids and records the recipient. A rotation this workflow id
   * already planned is returned as it was recorded, recipient included. A new rotation is refused
   * (NOT_ALLOWED) unless the worker enables rotation ({@code APIKEYS_ROTATION_ENABLED=true}).
   */
  @ActivityMethod(name = RotationNames.ACTIVITY_PLAN)
  RotationPlan plan(String workflowId, ValidRotateRequest request);

  /**
   * Creates the successors with fresh tokens, each sealed to the rotation's recipient before it
   * leaves the transaction that stores it, and records one {@code api_key.rotated} event per key
   * with its sealed token. The raw tokens exist only inside this call. Run again (a retry, or a
   * re-run of the rotation), it creates nothing and returns the successors and sealed tokens it
   * stored the first time.
   */
  @ActivityMethod(name = RotationNames.ACTIVITY_CREATE_SUCCESSORS)
  List<RotationResult.Successor> createSuccessors(String rotationId);
}
