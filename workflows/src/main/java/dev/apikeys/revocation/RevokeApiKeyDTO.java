package dev.apikeys.revocation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Medusa's {@code RevokeApiKeyDTO}: who revokes, and in how many seconds (0 when null). {@code
 * revoke_in} is a whole number of seconds; Medusa's JavaScript truncates fractions silently, and we
 * refuse them instead.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RevokeApiKeyDTO(
    @JsonProperty("revoked_by") String revokedBy, @JsonProperty("revoke_in") Long revokeIn) {

  public static RevokeApiKeyDTO now(String revokedBy) {
    return new RevokeApiKeyDTO(revokedBy, 0L);
  }
}
