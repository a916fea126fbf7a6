package dev.apikeys.sealing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.apikeys.model.ApiKeyErrorType;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.rotation.SealedToken;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.junit.jupiter.api.Test;

/**
 * The sealed-token format as docs/rotation.md gives it to a recipient service: sealed here, it
 * opens with plain BouncyCastle HPKE calls and the documented parameters, with the right private
 * key only, for the right successor only, and not once altered.
 */
class TokenSealTest {
  private static final String TOKEN = "sk_" + "0123456789abcdef".repeat(4);
  private static final String SUCCESSOR = "apk_01JSUCCESSOR0000000000000";

  private final TokenSeal.KeyPair recipient = TokenSeal.newKeyPair();

  @Test
  void opensWithTheRecipientsPrivateKey() {
    SealedToken sealed = TokenSeal.seal(recipient.publicKey(), SUCCESSOR, TOKEN);

    assertThat(sealed.suite()).isEqualTo("HPKE-Base-X25519-SHA256-AES256GCM");
    assertThat(sealed.ciphertext() + sealed.enc()).doesNotContain(TOKEN.substring(3, 12));
    assertThat(TokenSeal.open(recipient.privateKey(), SUCCESSOR, sealed)).isEqualTo(TOKEN);
    assertThat(TokenSeal.publicKeyOf(recipient.privateKey())).isEqualTo(recipient.publicKey());
    // Each seal is fresh (a new ephemeral key), so equal tokens never look alike.
    assertThat(TokenSeal.seal(recipient.publicKey(), SUCCESSOR, TOKEN).enc())
        .isNotEqualTo(sealed.enc());
  }

  @Test
  void opensWithTheDocumentedRecipeAndNothingOfThisProject() throws Exception {
    SealedToken sealed = TokenSeal.seal(recipient.publicKey(), SUCCESSOR, TOKEN);

    // docs/rotation.md, "Opening sealed tokens in your service", as written there.
    byte[] sk = Base64.getDecoder().decode(recipient.privateKey());
    byte[] pk = new X25519PrivateKeyParameters(sk, 0).generatePublicKey().getEncoded();
    HPKE hpke =
        new HPKE(
            HPKE.mode_base, HPKE.kem_X25519_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM256);
    byte[] token =
        hpke.open(
            Base64.getDecoder().decode(sealed.enc()),
            hpke.deserializePrivateKey(sk, pk),
            "apikeys successor token v1".getBytes(StandardCharsets.UTF_8),
            SUCCESSOR.getBytes(StandardCharsets.UTF_8),
            Base64.getDecoder().decode(sealed.ciphertext()),
            null,
            null,
            null);

    assertThat(new String(token, StandardCharsets.UTF_8)).isEqualTo(TOKEN);
  }

  @Test
  void doesNotOpenWithAnotherKeyForAnotherSuccessorOrAltered() {
    SealedToken sealed = TokenSeal.seal(recipient.publicKey(), SUCCESSOR, TOKEN);
    byte[] ciphertext = Base64.getDecoder().decode(sealed.ciphertext());
    ciphertext[0] ^= 1;
    SealedToken altered =
        new SealedToken(
            sealed.suite(), sealed.enc(), Base64.getEncoder().encodeToString(ciphertext));

    String other = "apk_01JSOMEONEELSE00000000000";
    assertDoesNotOpen(
        () -> TokenSeal.open(TokenSeal.newKeyPair().privateKey(), SUCCESSOR, sealed), SUCCESSOR);
    assertDoesNotOpen(() -> TokenSeal.open(recipient.privateKey(), other, sealed), other);
    assertDoesNotOpen(() -> TokenSeal.open(recipient.privateKey(), SUCCESSOR, altered), SUCCESSOR);
  }

  private static void assertDoesNotOpen(Runnable attempt, String successorId) {
    assertThatThrownBy(attempt::run)
        .isInstanceOfSatisfying(
            ApiKeyException.class,
            e -> assertThat(e.getType()).isEqualTo(ApiKeyErrorType.INVALID_DATA))
        .hasMessage(
            "sealed_token of "
                + successorId
                + ": does not open with this private key"
                + " (sealed to another recipient, for another key, or altered)");
  }

  @Test
  void refusesAPublicKeyX25519CannotSealTo() {
    String zeros = Base64.getEncoder().encodeToString(new byte[32]);

    assertThatThrownBy(() -> TokenSeal.requireUsable(zeros))
        .isInstanceOf(ApiKeyException.class)
        .hasMessageStartingWith("recipient.public_key: X25519 cannot seal to this key");
    assertThatThrownBy(
            () ->
                TokenSeal.open(
                    "not base64!",
                    SUCCESSOR,
                    TokenSeal.seal(recipient.publicKey(), SUCCESSOR, TOKEN)))
        .hasMessage("private key: expected the base64 of a 32-byte X25519 private key");
  }
}
