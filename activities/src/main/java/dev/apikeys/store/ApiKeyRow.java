package dev.apikeys.store;

import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyType;
import java.time.Instant;

/**
 * A row of {@code api_key} as stored, hash and salt included. It never leaves the store: callers
 * get {@link #toDto()}, which drops the salt and blanks a secret key's stored hash.
 */
record ApiKeyRow(
    String id,
    String token,
    String salt,
    String redacted,
    String title,
    String type,
    Instant lastUsedAt,
    String createdBy,
    Instant createdAt,
    Instant updatedAt,
    String revokedBy,
    Instant revokedAt,
    Instant deletedAt) {

  static final String COLUMNS =
      "id, token, salt, redacted, title, type, last_used_at, created_by, created_at, updated_at,"
          + " revoked_by, revoked_at, deleted_at";

  ApiKeyDTO toDto() {
    ApiKeyType keyType = ApiKeyType.fromValue(type).orElseThrow();
    String visibleToken = keyType == ApiKeyType.SECRET ? "" : token;
    return new ApiKeyDTO(
        id, visibleToken, redacted, title, keyType, lastUsedAt, createdBy, createdAt, updatedAt,
        deletedAt, revokedBy, revokedAt);
  }

  @Override
  public String toString() {
    // Keeps the stored hash and the salt out of any log line or assertion message.
    return "ApiKeyRow[id=" + id + ", redacted=" + redacted + ", type=" + type + "]";
  }
}
