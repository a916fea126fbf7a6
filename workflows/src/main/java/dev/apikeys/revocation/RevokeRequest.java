package dev.apikeys.revocation;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * The workflow's input exactly as it arrived: {@code {"id"|"selector", "data", "context"}}, and
 * optionally {@code "reason"}, this project's own short text saying why (e.g. {@code "leaked"}).
 *
 * <p>It is kept as JSON rather than mapped to typed fields because a typed mapping would either
 * coerce bad input ({@code "revoke_in": "60"}) or fail inside the SDK's data converter, which
 * leaves a workflow task retrying forever. Any JSON value is accepted here, and {@link
 * RevokeRequestParser} turns it into a {@link ValidRevokeRequest} or a typed refusal.
 */
public record RevokeRequest(JsonNode json) {
  public RevokeRequest {
    json = json == null ? JsonNodeFactory.instance.nullNode() : json;
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static RevokeRequest fromJson(JsonNode json) {
    return new RevokeRequest(json);
  }

  @JsonValue
  @Override
  public JsonNode json() {
    return json;
  }

  /** {@code revoke(id, data, context)}: the single-key overload. */
  public static RevokeRequest ofId(String id, RevokeApiKeyDTO data, SharedContext context) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("id", id);
    return withDataAndContext(node, data, context);
  }

  /** {@code revoke(selector, data, context)}: the selector overload. */
  public static RevokeRequest ofSelector(
      JsonNode selector, RevokeApiKeyDTO data, SharedContext context) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.set("selector", Objects.requireNonNullElse(selector, JsonNodeFactory.instance.nullNode()));
    return withDataAndContext(node, data, context);
  }

  private static RevokeRequest withDataAndContext(
      ObjectNode node, RevokeApiKeyDTO data, SharedContext context) {
    if (data != null) {
      ObjectNode d = node.putObject("data");
      if (data.revokedBy() != null) {
        d.put("revoked_by", data.revokedBy());
      }
      if (data.revokeIn() != null) {
        d.put("revoke_in", data.revokeIn());
      }
    }
    if (context != null) {
      node.set("context", contextNode(context));
    }
    return new RevokeRequest(node);
  }

  /**
   * The same request with its context replaced, everything else kept byte for byte (even fields
   * that will be refused: a malformed request must stay malformed, not be quietly repaired).
   */
  public RevokeRequest withContext(SharedContext context) {
    if (!json.isObject()) {
      return this;
    }
    ObjectNode copy = ((ObjectNode) json).deepCopy();
    copy.set("context", contextNode(context));
    return new RevokeRequest(copy);
  }

  /**
   * The same request with its {@code reason} set (or removed, for null), everything else kept as it
   * is. The reason is recorded with the revocation and added to its {@code api_key.revoked} events;
   * the parser checks it like other text, at most {@value RevokeRequestParser#MAX_REASON_LENGTH}
   * characters.
   */
  public RevokeRequest withReason(String reason) {
    if (!json.isObject()) {
      return this;
    }
    ObjectNode copy = ((ObjectNode) json).deepCopy();
    if (reason == null) {
      copy.remove("reason");
    } else {
      copy.put("reason", reason);
    }
    return new RevokeRequest(copy);
  }

  private static ObjectNode contextNode(SharedContext context) {
    ObjectNode c = JsonNodeFactory.instance.objectNode();
    putIfSet(c, "requestId", context.requestId());
    putIfSet(c, "transactionId", context.transactionId());
    putIfSet(c, "runId", context.runId());
    putIfSet(c, "eventGroupId", context.eventGroupId());
    putIfSet(c, "idempotencyKey", context.idempotencyKey());
    putIfSet(c, "parentStepIdempotencyKey", context.parentStepIdempotencyKey());
    if (context.preventReleaseEvents() != null) {
      c.put("preventReleaseEvents", context.preventReleaseEvents());
    }
    if (context.isCancelling() != null) {
      c.put("isCancelling", context.isCancelling());
    }
    if (context.cancelingFromParentStep() != null) {
      c.put("cancelingFromParentStep", context.cancelingFromParentStep());
    }
    putIfSet(c, "isolationLevel", context.isolationLevel());
    if (context.enableNestedTransactions() != null) {
      c.put("enableNestedTransactions", context.enableNestedTransactions());
    }
    return c;
  }

  private static void putIfSet(ObjectNode node, String field, String value) {
    if (value != null) {
      node.put(field, value);
    }
  }
}
