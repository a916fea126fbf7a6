package dev.apikeys.revocation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The {@code revokeNow} update's optional argument, {@code {"by": "who"}}, recorded with the
 * revocation and its {@code api_key.revocation_rescheduled} event. Sent without an argument (as
 * {@code temporal workflow update execute --name revokeNow} does), {@code by} is absent.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RevokeNowRequest(@JsonProperty("by") String by) {}
