package dev.apikeys.revocation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.apikeys.model.ApiKeyDTO;
import java.time.Instant;
import java.util.List;

/**
 * What a revocation did. The key set lives in the database; this carries at most {@link
 * #MAX_INLINE_KEYS} of its keys (by id), with the total and whether the list was cut, so the
 * payload stays far below Temporal's limits however many keys were revoked (CONTRACT §3.10).
 *
 * @param duplicateOf the workflow that owns the revocation, when this workflow found the request's
 *     idempotency key already used and so scheduled nothing of its own
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RevokeResult(
    @JsonProperty("revocation_id") String revocationId,
    @JsonProperty("workflow_id") String workflowId,
    @JsonProperty("status") RevocationState status,
    @JsonProperty("revoked_by") String revokedBy,
    @JsonProperty("scheduled_at") Instant scheduledAt,
    @JsonProperty("key_count") long keyCount,
    @JsonProperty("truncated") boolean truncated,
    @JsonProperty("api_keys") List<ApiKeyDTO> apiKeys,
    @JsonProperty("duplicate_of") String duplicateOf,
    @JsonProperty("message") String message) {

  public static final int MAX_INLINE_KEYS = 1_000;

  public RevokeResult {
    apiKeys = apiKeys == null ? List.of() : List.copyOf(apiKeys);
  }

  public RevokeResult withStatus(RevocationState newStatus, String newMessage) {
    return new RevokeResult(
        revocationId, workflowId, newStatus, revokedBy, scheduledAt, keyCount, truncated, apiKeys,
        duplicateOf, newMessage);
  }

  public RevokeResult withDuplicateOf(String owner) {
    return new RevokeResult(
        revocationId, workflowId, status, revokedBy, scheduledAt, keyCount, truncated, apiKeys,
        owner, message);
  }
}
