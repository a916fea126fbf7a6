package dev.apikeys.store;

import dev.apikeys.model.ApiKeyType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import org.bouncycastle.crypto.generators.SCrypt;

/**
 * Tokens, salts, hashes and redaction exactly as Medusa's API key module makes them (see
 * docs/semantics.md, "The model"), so a key created on either side authenticates on both.
 */
public final class SecretTokens {
  // Node's crypto.scrypt defaults, which Medusa relies on by passing no options.
  private static final int SCRYPT_N = 16384;
  private static final int SCRYPT_R = 8;
  private static final int SCRYPT_P = 1;
  private static final int HASH_BYTES = 64;
  private static final int TOKEN_BYTES = 32;
  private static final int SALT_BYTES = 16;

  /**
   * At most this many scrypt computations run at once in a process. Each holds 128·N·r bytes (16
   * MiB) for its duration, so a flood of wrong tokens on many request threads would otherwise grow
   * the heap with the number of threads; beyond one per core they only queue for the CPU anyway.
   * Tokens seen before do not wait here: {@link ApiKeyStore#authenticate} answers them without a
   * scrypt.
   */
  private static final Semaphore SCRYPT_SLOTS =
      new Semaphore(Math.max(1, Runtime.getRuntime().availableProcessors()), true);

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HexFormat HEX = HexFormat.of();

  private SecretTokens() {}

  /** What a new key stores, and the raw token that is shown once. */
  public record Generated(String rawToken, String storedToken, String salt, String redacted) {
    @Override
    public String toString() {
      // Keeps the raw token and salt out of any log line that prints this record.
      return "Generated[redacted=" + redacted + "]";
    }
  }

  public static Generated generate(ApiKeyType type) {
    String token = type.tokenPrefix() + HEX.formatHex(randomBytes(TOKEN_BYTES));
    if (type == ApiKeyType.PUBLISHABLE) {
      return new Generated(token, token, "", redact(token));
    }
    String salt = newSalt();
    return new Generated(token, hash(token, salt), salt, redact(token));
  }

  /** A new salt as Medusa makes them: 16 random bytes as 32 hex characters. */
  public static String newSalt() {
    return HEX.formatHex(randomBytes(SALT_BYTES));
  }

  /**
   * hex(scrypt(token, salt)), with the salt string's UTF-8 bytes as the scrypt salt, as Node does.
   */
  public static String hash(String token, String salt) {
    SCRYPT_SLOTS.acquireUninterruptibly();
    try {
      byte[] derived =
          SCrypt.generate(
              token.getBytes(StandardCharsets.UTF_8),
              salt.getBytes(StandardCharsets.UTF_8),
              SCRYPT_N,
              SCRYPT_R,
              SCRYPT_P,
              HASH_BYTES);
      return HEX.formatHex(derived);
    } finally {
      SCRYPT_SLOTS.release();
    }
  }

  /** Whether the token hashes to the stored value, compared in constant time. */
  public static boolean matches(String token, String salt, String storedToken) {
    byte[] actual = hash(token, salt).getBytes(StandardCharsets.US_ASCII);
    byte[] expected = storedToken.getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(actual, expected);
  }

  /**
   * The type whose tokens look like this one: its prefix and 64 lowercase hex digits, as both
   * Medusa and this project make them (Node's {@code randomBytes(32).toString("hex")}). Empty for
   * anything else, which no key of either side can have as its token.
   */
  public static Optional<ApiKeyType> typeOfWellFormed(String token) {
    if (token == null || token.length() != 3 + 2 * TOKEN_BYTES) {
      return Optional.empty();
    }
    for (int i = 3; i < token.length(); i++) {
      char c = token.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return Optional.empty();
      }
    }
    for (ApiKeyType type : ApiKeyType.values()) {
      if (token.startsWith(type.tokenPrefix())) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }

  /** Medusa's redaction: the first six characters, {@code ***}, the last three. */
  public static String redact(String token) {
    int n = token.length();
    return token.substring(0, Math.min(6, n)) + "***" + token.substring(Math.max(0, n - 3));
  }

  private static byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    RANDOM.nextBytes(bytes);
    return bytes;
  }
}
