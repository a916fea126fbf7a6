package dev.apikeys.rotation;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A successor's raw token sealed to the rotation's recipient with HPKE (RFC 9180), base mode: only
 * the holder of the recipient's private key can open it. This, never the raw token, is what a
 * rotation hands back through Temporal, its events and its tables.
 *
 * <p>To open it: HPKE with {@link #SUITE} ({@code DHKEM(X25519, HKDF-SHA256)}, {@code HKDF-SHA256},
 * {@code AES-256-GCM}), {@code info} = {@link #INFO} in UTF-8, {@code aad} = the successor's key id
 * in UTF-8 (so a sealed token cannot be passed off as another key's), {@code enc} and {@code
 * ciphertext} base64-decoded. The plaintext is the raw token in UTF-8.
 *
 * @param suite always {@link #SUITE}
 * @param enc the encapsulated key, base64
 * @param ciphertext the sealed token with its tag, base64
 */
public record SealedToken(
    @JsonProperty("suite") String suite,
    @JsonProperty("enc") String enc,
    @JsonProperty("ciphertext") String ciphertext) {

  /** KEM 0x0020, KDF 0x0001, AEAD 0x0002 in RFC 9180's registry. */
  public static final String SUITE = "HPKE-Base-X25519-SHA256-AES256GCM";

  /** HPKE's {@code info}: names what is sealed, so a ciphertext made for another use won't open. */
  public static final String INFO = "apikeys successor token v1";
}
