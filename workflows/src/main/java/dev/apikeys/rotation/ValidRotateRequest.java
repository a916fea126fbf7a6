package dev.apikeys.rotation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.revocation.RevokeRequestParser;
import java.util.Iterator;
import java.util.Set;

/** A rotation request that passed {@link #parse}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ValidRotateRequest(
    @JsonProperty("id") String id,
    @JsonProperty("selector") JsonNode selector,
    @JsonProperty("rotated_by") String rotatedBy,
    @JsonProperty("grace_seconds") long graceSeconds) {

  private static final Set<String> FIELDS = Set.of("id", "selector", "rotated_by", "grace_seconds");

  public static ValidRotateRequest parse(RotateRequest request) {
    JsonNode json = request == null ? null : request.json();
    if (json == null || !json.isObject()) {
      throw ApiKeyException.invalidData("request: expected a JSON object");
    }
    for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!FIELDS.contains(name)) {
        throw ApiKeyException.invalidData("request." + name + ": unknown field \"" + name + "\"");
      }
    }
    JsonNode id = json.get("id");
    JsonNode selector = json.get("selector");
    if ((id == null) == (selector == null)) {
      throw ApiKeyException.invalidData("request: give exactly one of \"id\" and \"selector\"");
    }
    if (id != null && (!id.isTextual() || id.asText().isBlank())) {
      throw ApiKeyException.invalidData("id: expected a non-blank string");
    }
    if (selector != null && (!selector.isObject() || selector.isEmpty())) {
      throw ApiKeyException.invalidData("selector: expected a non-empty object");
    }
    JsonNode by = json.get("rotated_by");
    if (by == null || !by.isTextual() || by.asText().isBlank()) {
      throw ApiKeyException.invalidData("rotated_by: is required and must not be blank");
    }
    long grace = RevokeRequestParser.revokeInSeconds(json.get("grace_seconds"), "grace_seconds");
    return new ValidRotateRequest(
        id == null ? null : id.asText(), selector, by.asText(), grace);
  }
}
