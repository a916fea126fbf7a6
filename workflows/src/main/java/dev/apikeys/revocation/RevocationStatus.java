package dev.apikeys.revocation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * The answer to the {@code status} query and to the {@code revokeNow}/{@code reschedule} updates.
 * The query still answers after the workflow closed; that is how a cancel that came after the
 * instant says that the revocation stands (Temporal closes a workflow whose cancellation was
 * requested as cancelled, whatever it returns).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RevocationStatus(
    @JsonProperty("state") RevocationState state,
    @JsonProperty("revocation_id") String revocationId,
    @JsonProperty("scheduled_at") Instant scheduledAt,
    @JsonProperty("key_count") Long keyCount,
    @JsonProperty("revoked_by") String revokedBy,
    @JsonProperty("duplicate_of") String duplicateOf,
    @JsonProperty("message") String message) {}
