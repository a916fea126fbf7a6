package dev.apikeys.revocation;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * The {@code reschedule} update's argument, {@code {"revoke_in": seconds}}. Kept as JSON so a
 * string or a fraction reaches the validator and gets a typed refusal instead of being coerced.
 */
public record RescheduleRequest(@JsonProperty("revoke_in") JsonNode revokeIn) {
  public static RescheduleRequest inSeconds(long seconds) {
    return new RescheduleRequest(JsonNodeFactory.instance.numberNode(seconds));
  }
}
