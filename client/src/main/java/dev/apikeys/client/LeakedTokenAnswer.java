package dev.apikeys.client;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyType;
import dev.apikeys.revocation.Revocation;
import java.time.Instant;

/**
 * What {@link ApiKeyModuleService#revokeLeakedToken} answers about one token. It never holds the
 * token: in a list of answers each is told apart by its position ({@code line}) and its redacted
 * form, which is what Medusa's admin shows of a key anyway.
 *
 * <p>As JSON, only what applies: {@code {"found":false}} for a token no key has, {@code
 * {"found":true,"already_revoked":true}} for a key that was already revoked (nothing more: nothing
 * was done), and for a live key its {@code id}, whether this call {@code revoked} it and, if so,
 * the {@code revoked_at} it now has.
 *
 * @param line the token's position, from 1: its line in the CLI's input, its index + 1 in a Java
 *     list; null in the answer for a single token
 * @param redacted the token's redacted form ({@code sk_6ec***47f}); null for a single token and for
 *     a malformed one, whose first and last characters may be part of some other secret
 * @param apiKey the key as it stands after this call, for {@link Outcome#REVOKED} and {@link
 *     Outcome#NOT_REVOKED}; null otherwise
 * @param revocation the revocation that revoked it, in the answer for a single token; a list of
 *     answers carries it once, beside them
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
  "line",
  "redacted",
  "found",
  "malformed",
  "already_revoked",
  "revoked",
  "publishable",
  "id",
  "revoked_at",
  "revocation"
})
public record LeakedTokenAnswer(
    @JsonProperty("line") Integer line,
    @JsonProperty("redacted") String redacted,
    @JsonIgnore Outcome outcome,
    @JsonIgnore ApiKeyDTO apiKey,
    @JsonProperty("revocation") Revocation revocation) {

  /** What became of one token. */
  public enum Outcome {
    /** Not a token's shape ({@code sk_} or {@code pk_} and 64 hex digits): no key can have it. */
    MALFORMED,
    /** No key (that is not deleted) has this token. Nothing was done. */
    NOT_FOUND,
    /** Its key was revoked already ({@code revoked_at} ≤ now). Nothing was done. */
    ALREADY_REVOKED,
    /** Its key is revoked by this call, at its {@code revoked_at}. */
    REVOKED,
    /**
     * Its key is live and this call did not revoke it: a publishable key, public by design and so
     * never revoked as leaked; or a secret key when the context's {@code isCancelling} said to
     * schedule nothing, or that was deleted before it could be scheduled.
     */
    NOT_REVOKED
  }

  @JsonProperty("found")
  public boolean found() {
    return outcome != Outcome.MALFORMED && outcome != Outcome.NOT_FOUND;
  }

  @JsonProperty("malformed")
  Boolean malformedForJson() {
    return outcome == Outcome.MALFORMED ? Boolean.TRUE : null;
  }

  @JsonProperty("already_revoked")
  Boolean alreadyRevokedForJson() {
    return found() ? outcome == Outcome.ALREADY_REVOKED : null;
  }

  @JsonProperty("revoked")
  Boolean revokedForJson() {
    return apiKey == null ? null : outcome == Outcome.REVOKED;
  }

  @JsonProperty("publishable")
  Boolean publishableForJson() {
    return apiKey != null && apiKey.type() == ApiKeyType.PUBLISHABLE ? Boolean.TRUE : null;
  }

  @JsonProperty("id")
  String idForJson() {
    return apiKey == null ? null : apiKey.id();
  }

  @JsonProperty("revoked_at")
  Instant revokedAtForJson() {
    return outcome == Outcome.REVOKED ? apiKey.revokedAt() : null;
  }

  /** The answer as it stands alone: without a position or redacted form, with its revocation. */
  LeakedTokenAnswer alone(Revocation revocation) {
    return new LeakedTokenAnswer(
        null, null, outcome, apiKey, outcome == Outcome.REVOKED ? revocation : null);
  }

  /** The same answer at another position (the CLI's line numbers count blank lines too). */
  public LeakedTokenAnswer atLine(int newLine) {
    return new LeakedTokenAnswer(newLine, redacted, outcome, apiKey, revocation);
  }
}
