package dev.apikeys.rotation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.apikeys.model.ApiKeyDTO;
import java.util.List;

/**
 * What a rotation did: each old key with its successor (carrying the successor's raw token, the
 * only time it is shown), and the child revocation that retires the old keys after the grace
 * period (its {@code status} query gives the exact instant).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RotationResult(
    @JsonProperty("rotation_id") String rotationId,
    @JsonProperty("workflow_id") String workflowId,
    @JsonProperty("successors") List<Successor> successors,
    @JsonProperty("revocation_workflow_id") String revocationWorkflowId,
    @JsonProperty("grace_seconds") Long graceSeconds,
    @JsonProperty("message") String message) {

  public RotationResult {
    successors = successors == null ? List.of() : List.copyOf(successors);
  }

  /** An old key and the key that replaces it. */
  public record Successor(
      @JsonProperty("old_key_id") String oldKeyId, @JsonProperty("api_key") ApiKeyDTO apiKey) {}
}
