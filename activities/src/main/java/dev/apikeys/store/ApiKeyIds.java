package dev.apikeys.store;

import java.security.SecureRandom;

/**
 * Medusa's entity ids for API keys: {@code apk_} followed by a 26-character ULID (48 bits of
 * milliseconds, 80 random bits, Crockford base32), so ids sort by creation time as Medusa's do.
 */
public final class ApiKeyIds {
  public static final String PREFIX = "apk_";

  private static final char[] CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  private ApiKeyIds() {}

  public static String newId() {
    return newId(PREFIX, System.currentTimeMillis());
  }

  static String newId(String prefix, long epochMillis) {
    byte[] random = new byte[10];
    RANDOM.nextBytes(random);
    return prefix + ulid(epochMillis, random);
  }

  /** The id scheme of this project's own rows (revocations, events), with another prefix. */
  public static String newId(String prefix) {
    return newId(prefix, System.currentTimeMillis());
  }

  static String ulid(long epochMillis, byte[] random) {
    char[] out = new char[26];
    // Ten characters of time, most significant first: 10 x 5 bits covers the 48-bit timestamp.
    long time = epochMillis;
    for (int i = 9; i >= 0; i--) {
      out[i] = CROCKFORD[(int) (time & 31)];
      time >>>= 5;
    }
    // Sixteen characters of randomness: 80 bits read five at a time.
    int bitBuffer = 0;
    int bits = 0;
    int pos = 10;
    for (byte b : random) {
      bitBuffer = (bitBuffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        out[pos++] = CROCKFORD[(bitBuffer >>> (bits - 5)) & 31];
        bits -= 5;
      }
    }
    return new String(out);
  }
}
