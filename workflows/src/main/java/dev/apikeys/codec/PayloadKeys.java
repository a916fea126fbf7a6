package dev.apikeys.codec;

import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AES-256 keys that encrypt payloads, by id. The first key encrypts; every key decrypts, so a
 * key can be rotated by putting the new one first and keeping the old ones until no history that
 * needs them is left.
 *
 * <p>Spelled {@code id:base64key[,id:base64key…]}, e.g. {@code APIKEYS_CODEC_KEYS=k2:…,k1:…}.
 */
public final class PayloadKeys {
  private static final int KEY_BYTES = 32;

  private final String currentId;
  private final Map<String, SecretKey> keys;

  private PayloadKeys(String currentId, Map<String, SecretKey> keys) {
    this.currentId = currentId;
    this.keys = Collections.unmodifiableMap(keys);
  }

  /**
   * Parses the spelling above. Errors name the problem but never echo key material.
   *
   * @throws IllegalArgumentException when the text is not a list of ids and 32-byte base64 keys
   */
  public static PayloadKeys parse(String spec) {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("no keys given");
    }
    Map<String, SecretKey> keys = new LinkedHashMap<>();
    String first = null;
    for (String entry : spec.split(",")) {
      String trimmed = entry.trim();
      int colon = trimmed.indexOf(':');
      if (colon <= 0 || colon == trimmed.length() - 1) {
        throw new IllegalArgumentException("each key must be written id:base64key");
      }
      String id = trimmed.substring(0, colon);
      byte[] bytes;
      try {
        bytes = Base64.getDecoder().decode(trimmed.substring(colon + 1));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("key " + id + " is not valid base64");
      }
      if (bytes.length != KEY_BYTES) {
        throw new IllegalArgumentException(
            "key " + id + " must be 32 bytes (AES-256), got " + bytes.length);
      }
      if (keys.put(id, new SecretKeySpec(bytes, "AES")) != null) {
        throw new IllegalArgumentException("key id " + id + " appears twice");
      }
      if (first == null) {
        first = id;
      }
    }
    return new PayloadKeys(first, keys);
  }

  /**
   * Whether some spelling above could give a key this id: not empty, and without the separators
   * {@code ,} and {@code :}. A payload naming any other id can never be decrypted.
   */
  static boolean isPossibleId(String id) {
    return !id.isEmpty() && id.indexOf(',') < 0 && id.indexOf(':') < 0;
  }

  public String currentId() {
    return currentId;
  }

  SecretKey current() {
    return keys.get(currentId);
  }

  Optional<SecretKey> byId(String id) {
    return Optional.ofNullable(keys.get(id));
  }

  @Override
  public String toString() {
    return "PayloadKeys[current=" + currentId + ", ids=" + keys.keySet() + "]";
  }
}
