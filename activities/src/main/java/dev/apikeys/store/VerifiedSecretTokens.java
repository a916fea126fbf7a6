package dev.apikeys.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Which key a secret token was proven, by scrypt, to belong to: the one fact about a token that
 * never changes, since neither this project nor Medusa ever rewrites a key's token or salt. It lets
 * {@link ApiKeyStore#authenticate} skip the scrypt for a token it has seen before while still
 * reading the key's revocation and deletion from PostgreSQL on every call, so a revocation needs no
 * invalidation here and holds across processes from its instant on.
 *
 * <p>Entries are keyed by the token's SHA-256, never the token itself, so a heap dump does not hold
 * usable credentials; the least recently used entry goes first once the map is full.
 */
final class VerifiedSecretTokens {
  private static final HexFormat HEX = HexFormat.of();

  private final Map<String, String> keyIdByDigest;

  VerifiedSecretTokens(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1");
    }
    this.keyIdByDigest =
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > capacity;
          }
        };
  }

  /** The token's SHA-256 as hex: what the map is keyed by. */
  static String digest(String token) {
    try {
      return HEX.formatHex(
          MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /** The id of the key this token was verified against, if it was. */
  Optional<String> keyId(String digest) {
    synchronized (keyIdByDigest) {
      return Optional.ofNullable(keyIdByDigest.get(digest));
    }
  }

  /** Remembers that scrypt proved this token to be the key's. */
  void remember(String digest, String keyId) {
    synchronized (keyIdByDigest) {
      keyIdByDigest.put(digest, keyId);
    }
  }

  int size() {
    synchronized (keyIdByDigest) {
      return keyIdByDigest.size();
    }
  }
}
