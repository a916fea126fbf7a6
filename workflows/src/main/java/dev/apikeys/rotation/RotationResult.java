package dev.apikeys.rotation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.apikeys.model.ApiKeyDTO;
import java.util.List;

/**
 * What a rotation did: each old key with its successor, whose raw token is only in {@code
 * sealed_token}, sealed to {@code recipient}; and the child revocation that retires the old keys
 * after the grace period (its {@code status} query gives the exact instant).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RotationResult(
    @JsonProperty("rotation_id") String rotationId,
    @JsonProperty("workflow_id") String workflowId,
    @JsonProperty("recipient") Recipient recipient,
    @JsonProperty("successors") List<Successor> successors,
    @JsonProperty("revocation_workflow_id") String revocationWorkflowId,
    @JsonProperty("grace_seconds") Long graceSeconds,
    @JsonProperty("message") String message) {

  public RotationResult {
    successors = successors == null ? List.of() : List.copyOf(successors);
  }

  /**
   * An old key and the key that replaces it. {@code api_key.token} is empty: the token is in {@code
   * sealed_token} only, until the recipient opens it.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Successor(
      @JsonProperty("old_key_id") String oldKeyId,
      @JsonProperty("api_key") ApiKeyDTO apiKey,
      @JsonProperty("sealed_token") SealedToken sealedToken) {}
}
