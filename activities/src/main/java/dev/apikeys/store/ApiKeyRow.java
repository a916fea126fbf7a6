package dev.apikeys.store;

import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyType;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import org.jdbi.v3.core.mapper.RowMapper;

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

  /**
   * Reads a row by column name. Written out rather than reflective: it runs on every
   * authentication, and the reflective constructor mapper cost ten times the query itself.
   */
  static final RowMapper<ApiKeyRow> MAPPER =
      (rs, ctx) ->
          new ApiKeyRow(
              rs.getString("id"),
              rs.getString("token"),
              rs.getString("salt"),
              rs.getString("redacted"),
              rs.getString("title"),
              rs.getString("type"),
              instant(rs, "last_used_at"),
              rs.getString("created_by"),
              instant(rs, "created_at"),
              instant(rs, "updated_at"),
              rs.getString("revoked_by"),
              instant(rs, "revoked_at"),
              instant(rs, "deleted_at"));

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    Timestamp t = rs.getTimestamp(column);
    return t == null ? null : t.toInstant();
  }

  ApiKeyDTO toDto() {
    ApiKeyType keyType = ApiKeyType.fromValue(type).orElseThrow();
    String visibleToken = keyType == ApiKeyType.SECRET ? "" : token;
    return new ApiKeyDTO(
        id,
        visibleToken,
        redacted,
        title,
        keyType,
        lastUsedAt,
        createdBy,
        createdAt,
        updatedAt,
        deletedAt,
        revokedBy,
        revokedAt);
  }

  @Override
  public String toString() {
    // Keeps the stored hash and the salt out of any log line or assertion message.
    return "ApiKeyRow[id=" + id + ", redacted=" + redacted + ", type=" + type + "]";
  }
}
