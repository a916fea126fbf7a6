package dev.apikeys.revocation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * The {@code reschedule} update's argument, {@code {"revoke_in": seconds, "by": "who"}}. {@code
 * revoke_in} is kept as JSON so a string or a fraction reaches the validator and gets a typed
 * refusal instead of being coerced. {@code by}, optional, is recorded with the revocation and its
 * {@code api_key.revocation_rescheduled} event.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RescheduleRequest(
    @JsonProperty("revoke_in") JsonNode revokeIn, @JsonProperty("by") String by) {

  public static RescheduleRequest inSeconds(long seconds) {
    return inSeconds(seconds, null);
  }

  public static RescheduleRequest inSeconds(long seconds, String by) {
    return new RescheduleRequest(JsonNodeFactory.instance.numberNode(seconds), by);
  }
}
