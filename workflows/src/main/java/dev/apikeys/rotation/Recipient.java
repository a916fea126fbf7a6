package dev.apikeys.rotation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Who receives a rotation's new tokens: an X25519 public key, given by whoever starts the rotation
 * or creates its Schedule, and a name that says which service holds the private key. The tokens are
 * sealed to this key (see {@link SealedToken}); Temporal, the database and the events only ever see
 * them sealed.
 *
 * @param name who holds the private key, e.g. "billing-service"; may be null
 * @param publicKey the 32-byte X25519 public key, base64
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Recipient(
    @JsonProperty("name") String name, @JsonProperty("public_key") String publicKey) {

  /** X25519 public keys are 32 bytes. */
  public static final int PUBLIC_KEY_BYTES = 32;
}
