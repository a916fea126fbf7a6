package dev.apikeys.sealing;

import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.MessageText;
import dev.apikeys.rotation.Recipient;
import dev.apikeys.rotation.SealedToken;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;

/**
 * Seals a successor's raw token to a recipient's X25519 public key and opens it again with the
 * private key: HPKE (RFC 9180) in base mode as {@link SealedToken} describes, by BouncyCastle. The
 * worker seals; {@code apikeys rotation run} and the recipient's service open.
 */
public final class TokenSeal {
  private static final byte[] INFO = SealedToken.INFO.getBytes(StandardCharsets.UTF_8);

  private TokenSeal() {}

  /** A recipient's key pair, both halves base64. */
  public record KeyPair(String publicKey, String privateKey) {
    @Override
    public String toString() {
      return "KeyPair[publicKey=" + publicKey + "]";
    }
  }

  /** A fresh key pair, e.g. the one-time pair of {@code apikeys rotation run}. */
  public static KeyPair newKeyPair() {
    HPKE hpke = hpke();
    AsymmetricCipherKeyPair pair = hpke.generatePrivateKey();
    return new KeyPair(
        base64(hpke.serializePublicKey(pair.getPublic())),
        base64(hpke.serializePrivateKey(pair.getPrivate())));
  }

  /** The public key that belongs to a private key (base64 both), e.g. to check a key file. */
  public static String publicKeyOf(String privateKey) {
    return base64(
        new X25519PrivateKeyParameters(privateKeyBytes(privateKey), 0)
            .generatePublicKey()
            .getEncoded());
  }

  /**
   * Refuses a public key X25519 cannot seal to (a low-order point: the shared secret would be all
   * zeros), before a rotation records it.
   */
  public static void requireUsable(String publicKey) {
    seal(publicKey, "apk_check", "check");
  }

  /**
   * Seals {@code rawToken} to {@code recipientPublicKey}, bound to {@code successorId} (HPKE's
   * associated data), so that it opens only as that key's token.
   */
  public static SealedToken seal(String recipientPublicKey, String successorId, String rawToken) {
    HPKE hpke = hpke();
    try {
      AsymmetricKeyParameter pk = hpke.deserializePublicKey(publicKeyBytes(recipientPublicKey));
      byte[][] sealed =
          hpke.seal(
              pk,
              INFO,
              aad(successorId),
              rawToken.getBytes(StandardCharsets.UTF_8),
              null,
              null,
              null);
      return new SealedToken(SealedToken.SUITE, base64(sealed[1]), base64(sealed[0]));
    } catch (InvalidCipherTextException | RuntimeException e) {
      throw ApiKeyException.invalidData(
          "recipient.public_key: X25519 cannot seal to this key; give the public key of a"
              + " freshly generated pair (apikeys rotation keygen)");
    }
  }

  /**
   * Opens a sealed token with the recipient's private key (base64).
   *
   * @throws ApiKeyException INVALID_DATA when it does not open: sealed to another key, for another
   *     successor id, or altered
   */
  public static String open(String privateKey, String successorId, SealedToken sealed) {
    if (sealed == null || !SealedToken.SUITE.equals(sealed.suite())) {
      throw ApiKeyException.invalidData(
          "sealed_token of "
              + MessageText.shown(successorId)
              + ": expected suite "
              + SealedToken.SUITE);
    }
    HPKE hpke = hpke();
    byte[] sk = privateKeyBytes(privateKey);
    byte[] pk = new X25519PrivateKeyParameters(sk, 0).generatePublicKey().getEncoded();
    try {
      byte[] plain =
          hpke.open(
              decode(sealed.enc()),
              hpke.deserializePrivateKey(sk, pk),
              INFO,
              aad(successorId),
              decode(sealed.ciphertext()),
              null,
              null,
              null);
      return new String(plain, StandardCharsets.UTF_8);
    } catch (InvalidCipherTextException | RuntimeException e) {
      throw ApiKeyException.invalidData(
          "sealed_token of "
              + MessageText.shown(successorId)
              + ": does not open with this"
              + " private key (sealed to another recipient, for another key, or altered)");
    }
  }

  private static HPKE hpke() {
    return new HPKE(
        HPKE.mode_base, HPKE.kem_X25519_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM256);
  }

  private static byte[] aad(String successorId) {
    return successorId.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] publicKeyBytes(String publicKey) {
    byte[] bytes = decode(publicKey);
    if (bytes == null || bytes.length != Recipient.PUBLIC_KEY_BYTES) {
      throw ApiKeyException.invalidData(
          "recipient.public_key: expected the base64 of a 32-byte X25519 public key");
    }
    return bytes;
  }

  private static byte[] privateKeyBytes(String privateKey) {
    byte[] bytes = decode(privateKey);
    if (bytes == null || bytes.length != X25519PrivateKeyParameters.KEY_SIZE) {
      // Never repeats the text: it may be a private key with a typo.
      throw ApiKeyException.invalidData(
          "private key: expected the base64 of a 32-byte X25519 private key");
    }
    return bytes;
  }

  private static byte[] decode(String base64) {
    if (base64 == null) {
      return null;
    }
    try {
      return Base64.getDecoder().decode(base64.strip());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static String base64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }
}
