package dev.apikeys.rotation;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code RotateApiKeysWorkflow}'s input as it arrived: {@code {"id"|"selector", "rotated_by",
 * "grace_seconds", "recipient": {"name", "public_key"}}}. Kept as JSON for the same reason as the
 * revoke request: bad input must reach the validator and be refused, not fail inside the data
 * converter.
 */
public record RotateRequest(JsonNode json) {
  public RotateRequest {
    json = json == null ? JsonNodeFactory.instance.nullNode() : json;
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static RotateRequest fromJson(JsonNode json) {
    return new RotateRequest(json);
  }

  @JsonValue
  @Override
  public JsonNode json() {
    return json;
  }

  public static RotateRequest ofSelector(
      JsonNode selector, String rotatedBy, long graceSeconds, Recipient recipient) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.set("selector", selector);
    return new RotateRequest(rest(node, rotatedBy, graceSeconds, recipient));
  }

  public static RotateRequest ofId(
      String id, String rotatedBy, long graceSeconds, Recipient recipient) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("id", id);
    return new RotateRequest(rest(node, rotatedBy, graceSeconds, recipient));
  }

  private static ObjectNode rest(
      ObjectNode node, String rotatedBy, long graceSeconds, Recipient recipient) {
    node.put("rotated_by", rotatedBy);
    node.put("grace_seconds", graceSeconds);
    if (recipient != null) {
      ObjectNode r = node.putObject("recipient");
      if (recipient.name() != null) {
        r.put("name", recipient.name());
      }
      r.put("public_key", recipient.publicKey());
    }
    return node;
  }
}
