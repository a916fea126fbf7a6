package dev.apikeys.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * Medusa's {@code ApiKeyDTO}, field for field, snake_case in JSON. There is deliberately no salt
 * here, and a secret key's {@code token} is "" everywhere except the one response to its creation.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record ApiKeyDTO(
    @JsonProperty("id") String id,
    @JsonProperty("token") String token,
    @JsonProperty("redacted") String redacted,
    @JsonProperty("title") String title,
    @JsonProperty("type") ApiKeyType type,
    @JsonProperty("last_used_at") Instant lastUsedAt,
    @JsonProperty("created_by") String createdBy,
    @JsonProperty("created_at") Instant createdAt,
    @JsonProperty("updated_at") Instant updatedAt,
    @JsonProperty("deleted_at") Instant deletedAt,
    @JsonProperty("revoked_by") String revokedBy,
    @JsonProperty("revoked_at") Instant revokedAt) {

  /** The same key with its token replaced, for the one response that may carry the raw token. */
  public ApiKeyDTO withToken(String newToken) {
    return new ApiKeyDTO(
        id,
        newToken,
        redacted,
        title,
        type,
        lastUsedAt,
        createdBy,
        createdAt,
        updatedAt,
        deletedAt,
        revokedBy,
        revokedAt);
  }
}
