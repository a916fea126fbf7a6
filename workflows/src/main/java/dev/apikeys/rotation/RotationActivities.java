package dev.apikeys.rotation;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/** The database side of a rotation; each method is one transaction and safe to retry. */
@ActivityInterface
public interface RotationActivities {

  /**
   * Resolves the keys (active keys only; a key named by id that is revoked or about to be is
   * refused) and fixes their successors' ids. Rotating secret keys is refused unless payloads are
   * encrypted, because the successors' raw tokens pass through workflow history.
   */
  @ActivityMethod(name = "PlanRotation")
  RotationPlan plan(String workflowId, ValidRotateRequest request);

  /** Makes the successors' raw tokens; stores nothing. */
  @ActivityMethod(name = "IssueSuccessorTokens")
  List<IssuedToken> issueTokens(RotationPlan plan);

  /** Stores the successors with these tokens and records one {@code api_key.rotated} per key. */
  @ActivityMethod(name = "CreateSuccessors")
  List<RotationResult.Successor> createSuccessors(String rotationId, List<IssuedToken> tokens);
}
