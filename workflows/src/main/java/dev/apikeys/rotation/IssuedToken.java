package dev.apikeys.rotation;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A successor's raw token, made before the successor is stored so that a retried store uses the
 * same token. It crosses workflow history, which is why rotating secret keys requires the payload
 * codec.
 */
public record IssuedToken(
    @JsonProperty("new_key_id") String newKeyId, @JsonProperty("token") String token) {
  @Override
  public String toString() {
    return "IssuedToken[new_key_id=" + newKeyId + "]";
  }
}
