package dev.apikeys.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.apikeys.revocation.Revocation;
import java.util.List;

/**
 * What {@link ApiKeyModuleService#revokeLeakedToken(List, dev.apikeys.revocation.RevokeApiKeyDTO,
 * dev.apikeys.revocation.SharedContext)} answers: one answer per token, in the order given, and the
 * one revocation that revoked every live secret key among them (absent when there was none to
 * revoke).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LeakedTokensAnswer(
    @JsonProperty("tokens") List<LeakedTokenAnswer> tokens,
    @JsonProperty("revocation") Revocation revocation) {

  public LeakedTokensAnswer {
    tokens = List.copyOf(tokens);
  }
}
