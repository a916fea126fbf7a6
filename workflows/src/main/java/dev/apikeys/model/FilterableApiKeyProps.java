package dev.apikeys.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Medusa's {@code FilterableApiKeyProps}: a selector as JSON, exactly the shape a TypeScript caller
 * would write ({@code {"type": "secret", "revoked_at": {"$eq": null}}}). Kept as JSON because the
 * language is open-ended (operators, nesting); the store's selector compiler checks it.
 */
public record FilterableApiKeyProps(JsonNode json) {

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static FilterableApiKeyProps of(JsonNode json) {
    return new FilterableApiKeyProps(json);
  }

  @JsonValue
  @Override
  public JsonNode json() {
    return json;
  }

  /** Keys with any of these ids. */
  public static FilterableApiKeyProps ids(String... ids) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    ArrayNode array = node.putArray("id");
    for (String id : ids) {
      array.add(id);
    }
    return new FilterableApiKeyProps(node);
  }

  /** Keys whose field equals the value, e.g. {@code where("created_by", "user_1")}. */
  public static FilterableApiKeyProps where(String field, String value) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put(field, value);
    return new FilterableApiKeyProps(node);
  }
}
