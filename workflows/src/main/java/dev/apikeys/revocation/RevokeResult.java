package dev.apikeys.revocation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.apikeys.model.ApiKeyDTO;
import java.time.Instant;
import java.util.List;

/**
 * What a revocation did: the workflow's result. The key set lives in the database; this lists its
 * keys (by id) only as far as {@link #MAX_INLINE_KEY_BYTES} of JSON allows, with the total and
 * whether the list was cut, so the payload stays far below Temporal's limits however many keys were
 * revoked and however long their titles are.
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

  /**
   * The most JSON the listed keys may take. A quarter of a megabyte keeps the whole result under
   * Temporal's 512 KB warning (and its 2 MB limit) with room for the rest of the payload.
   */
  public static final int MAX_INLINE_KEY_BYTES = 256 * 1024;

  public RevokeResult {
    apiKeys = apiKeys == null ? List.of() : List.copyOf(apiKeys);
  }

  public RevokeResult withStatus(RevocationState newStatus, String newMessage) {
    return new RevokeResult(
        revocationId,
        workflowId,
        newStatus,
        revokedBy,
        scheduledAt,
        keyCount,
        truncated,
        apiKeys,
        duplicateOf,
        newMessage);
  }

  /** The same keys with the state, instant and owner a workflow answered with. */
  public RevokeResult withState(RevocationState newStatus, Instant newScheduledAt, String owner) {
    return new RevokeResult(
        revocationId,
        workflowId,
        newStatus,
        revokedBy,
        newScheduledAt,
        keyCount,
        truncated,
        apiKeys,
        owner,
        message);
  }

  public RevokeResult withDuplicateOf(String owner) {
    return new RevokeResult(
        revocationId,
        workflowId,
        status,
        revokedBy,
        scheduledAt,
        keyCount,
        truncated,
        apiKeys,
        owner,
        message);
  }
}
