package dev.apikeys.revocation;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * A revocation as the database has it: ids, a count, an instant and a state, never key rows. It is
 * what the activities and the {@code scheduled} update answer, so their payloads stay a few hundred
 * bytes however many keys, and however long their titles, a revocation covers. Its JSON fields are
 * a subset of {@link RevokeResult}'s, which is how revocations started by older workflow code read
 * it.
 *
 * @param duplicateOf the workflow that owns the revocation, when the asking workflow repeated an
 *     idempotency key and so scheduled nothing of its own
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Revocation(
    @JsonProperty("revocation_id") String revocationId,
    @JsonProperty("workflow_id") String workflowId,
    @JsonProperty("status") RevocationState status,
    @JsonProperty("revoked_by") String revokedBy,
    @JsonProperty("scheduled_at") Instant scheduledAt,
    @JsonProperty("key_count") long keyCount,
    @JsonProperty("duplicate_of") String duplicateOf) {

  /** True unless the asking workflow found the revocation owned by another workflow. */
  @JsonIgnore
  public boolean owned() {
    return duplicateOf == null;
  }

  public Revocation withDuplicateOf(String owner) {
    return new Revocation(
        revocationId, workflowId, status, revokedBy, scheduledAt, keyCount, owner);
  }

  /** The result of a revocation that ends without a stamp (a cancelled one), keys left out. */
  public RevokeResult toResult(String message) {
    return new RevokeResult(
        revocationId,
        workflowId,
        status,
        revokedBy,
        scheduledAt,
        keyCount,
        keyCount > 0,
        null,
        duplicateOf,
        message);
  }
}
