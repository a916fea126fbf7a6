package dev.apikeys.revocation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A request that passed {@link RevokeRequestParser}: exactly one of {@code id} and {@code
 * selector}, a non-blank {@code revoked_by}, a whole {@code revoke_in} within bounds, and a
 * context, and optionally a {@code reason} (e.g. {@code "leaked"}), which the revocation records
 * and its {@code api_key.revoked} events carry. The selector's own grammar is checked by the
 * schedule activity, which compiles it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ValidRevokeRequest(
    @JsonProperty("id") String id,
    @JsonProperty("selector") JsonNode selector,
    @JsonProperty("revoked_by") String revokedBy,
    @JsonProperty("revoke_in") long revokeInSeconds,
    @JsonProperty("context") SharedContext context,
    @JsonProperty("reason") String reason) {

  /** A request without a reason, as every request was before reasons existed. */
  public ValidRevokeRequest(
      String id, JsonNode selector, String revokedBy, long revokeInSeconds, SharedContext context) {
    this(id, selector, revokedBy, revokeInSeconds, context, null);
  }

  public boolean singleKey() {
    return id != null;
  }
}
