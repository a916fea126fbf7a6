package dev.apikeys.examples;

import dev.apikeys.model.FilterableApiKeyProps;
import dev.apikeys.revocation.ChildRevocations;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.SharedContext;

/** Revokes the user's keys through a child {@code RevokeApiKeysWorkflow} and waits for it. */
public class OffboardUserWorkflowImpl implements OffboardUserWorkflow {

  @Override
  public RevokeResult offboard(Offboarding offboarding) {
    RevokeRequest request =
        RevokeRequest.ofSelector(
            FilterableApiKeyProps.where("created_by", offboarding.userId()).json(),
            new RevokeApiKeyDTO(offboarding.offboardedBy(), offboarding.graceSeconds()),
            null);
    return ChildRevocations.revoke("revoke-user-keys", request, SharedContext.EMPTY);
  }
}
