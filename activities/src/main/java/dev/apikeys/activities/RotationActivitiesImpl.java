package dev.apikeys.activities;

import dev.apikeys.rotation.RotationActivities;
import dev.apikeys.rotation.RotationPlan;
import dev.apikeys.rotation.RotationResult;
import dev.apikeys.rotation.ValidRotateRequest;
import dev.apikeys.store.RotationStore;
import java.util.List;

/** The rotation activities on PostgreSQL; refusals are typed, faults are retried. */
public final class RotationActivitiesImpl implements RotationActivities {
  private final RotationStore store;
  private final boolean enabled;

  /**
   * @param enabled whether this worker allows rotation ({@code APIKEYS_ROTATION_ENABLED}): it
   *     issues new credentials, so anyone who can start workflows in the namespace could otherwise
   *     have some issued; off, a new rotation is refused (NOT_ALLOWED)
   */
  public RotationActivitiesImpl(RotationStore store, boolean enabled) {
    this.store = store;
    this.enabled = enabled;
  }

  @Override
  public RotationPlan plan(String workflowId, ValidRotateRequest request) {
    return RevocationActivitiesImpl.refusalsAsFailures(
        () -> store.plan(workflowId, request, enabled));
  }

  @Override
  public List<RotationResult.Successor> createSuccessors(String rotationId) {
    return RevocationActivitiesImpl.refusalsAsFailures(() -> store.createSuccessors(rotationId));
  }
}
