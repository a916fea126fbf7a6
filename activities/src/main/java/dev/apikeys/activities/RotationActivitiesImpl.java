package dev.apikeys.activities;

import dev.apikeys.rotation.IssuedToken;
import dev.apikeys.rotation.RotationActivities;
import dev.apikeys.rotation.RotationPlan;
import dev.apikeys.rotation.RotationResult;
import dev.apikeys.rotation.ValidRotateRequest;
import dev.apikeys.store.RotationStore;
import java.util.List;

/** The rotation activities on PostgreSQL; refusals are typed, faults are retried. */
public final class RotationActivitiesImpl implements RotationActivities {
  private final RotationStore store;
  private final boolean encryptedPayloads;

  /**
   * @param encryptedPayloads whether this worker's data converter encrypts payloads; without it,
   *     rotating secret keys is refused
   */
  public RotationActivitiesImpl(RotationStore store, boolean encryptedPayloads) {
    this.store = store;
    this.encryptedPayloads = encryptedPayloads;
  }

  @Override
  public RotationPlan plan(String workflowId, ValidRotateRequest request) {
    return RevocationActivitiesImpl.refusalsAsFailures(
        () -> store.plan(workflowId, request, encryptedPayloads));
  }

  @Override
  public List<IssuedToken> issueTokens(RotationPlan plan) {
    return store.issueTokens(plan);
  }

  @Override
  public List<RotationResult.Successor> createSuccessors(
      String rotationId, List<IssuedToken> tokens) {
    return RevocationActivitiesImpl.refusalsAsFailures(
        () -> store.createSuccessors(rotationId, tokens));
  }
}
