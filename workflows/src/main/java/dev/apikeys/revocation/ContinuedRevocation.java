package dev.apikeys.revocation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What a revocation's run hands to the next when it continues as new, so that a revocation that
 * waits for years and is rescheduled thousands of times keeps a bounded history; also how the
 * reconciler starts a fresh workflow for a scheduled revocation whose workflow is gone. Only ids,
 * an instant and states: the key set stays in the database.
 *
 * @param request the request as the first run validated it; absent when the revocation is picked up
 *     again by the reconciler, which has only what the database kept
 * @param fingerprint its {@link RequestFingerprint}, for joining callers
 * @param revocation the revocation as the database last answered
 * @param runs how many runs came before this one
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ContinuedRevocation(
    @JsonProperty("request") ValidRevokeRequest request,
    @JsonProperty("fingerprint") String fingerprint,
    @JsonProperty("revocation") Revocation revocation,
    @JsonProperty("runs") int runs) {}
