package dev.apikeys.revocation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * What makes two revoke requests "the same request" for an idempotency key: which keys (the id, or
 * the selector with its object keys sorted, so the same selector written in another order is the
 * same), by whom, how soon, and why, when a reason is given. The context is left out: a retry may
 * carry another request id. The reason is added only when present, so a request without one keeps
 * the fingerprint it had before the field existed, and revocations stored then still match.
 *
 * <p>Pure and deterministic, so workflow code computes it: the workflow compares a joining
 * request's fingerprint with its own, and the database compares it with the one it stored.
 */
public final class RequestFingerprint {
  private RequestFingerprint() {}

  /** A SHA-256 of the canonical request, as 64 hex digits. */
  public static String of(ValidRevokeRequest request) {
    ObjectNode canonical = JsonNodeFactory.instance.objectNode();
    if (request.singleKey()) {
      canonical.put("id", request.id());
    } else {
      canonical.set("selector", sorted(request.selector()));
    }
    canonical.put("revoked_by", request.revokedBy());
    canonical.put("revoke_in", request.revokeInSeconds());
    if (request.reason() != null) {
      canonical.put("reason", request.reason());
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }

  private static JsonNode sorted(JsonNode node) {
    if (node.isObject()) {
      TreeMap<String, JsonNode> fields = new TreeMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        fields.put(e.getKey(), sorted(e.getValue()));
      }
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      fields.forEach(out::set);
      return out;
    }
    if (node.isArray()) {
      ArrayNode out = JsonNodeFactory.instance.arrayNode();
      node.forEach(child -> out.add(sorted(child)));
      return out;
    }
    return node;
  }
}
