package dev.apikeys.revocation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * The answer to the {@code status} query and to the {@code revokeNow}/{@code reschedule} updates.
 * The query still answers after the workflow closed; that is how a cancel that came after the
 * instant says that the revocation stands, and how a refused request says why.
 *
 * @param refusalType INVALID_DATA, NOT_FOUND, NOT_ALLOWED or CONFLICT when the request was refused
 *     ({@code message} is then the refusal's message, as the workflow's failure carries it)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RevocationStatus(
    @JsonProperty("state") RevocationState state,
    @JsonProperty("revocation_id") String revocationId,
    @JsonProperty("scheduled_at") Instant scheduledAt,
    @JsonProperty("key_count") Long keyCount,
    @JsonProperty("revoked_by") String revokedBy,
    @JsonProperty("duplicate_of") String duplicateOf,
    @JsonProperty("message") String message,
    @JsonProperty("refusal_type") String refusalType) {

  /** Without a refusal: the shape older workflow code answers with. */
  public RevocationStatus(
      RevocationState state,
      String revocationId,
      Instant scheduledAt,
      Long keyCount,
      String revokedBy,
      String duplicateOf,
      String message) {
    this(state, revocationId, scheduledAt, keyCount, revokedBy, duplicateOf, message, null);
  }
}
