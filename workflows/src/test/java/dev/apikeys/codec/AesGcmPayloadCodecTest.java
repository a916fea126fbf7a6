package dev.apikeys.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.apikeys.revocation.ApiKeysDataConverter;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.failure.v1.Failure;
import io.temporal.common.converter.DataConverter;
import io.temporal.failure.ApplicationFailure;
import io.temporal.payload.codec.PayloadCodecException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AesGcmPayloadCodecTest {
  private static String key() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return Base64.getEncoder().encodeToString(k);
  }

  private static final String K1 = key();
  private static final String K2 = key();

  @Test
  void encryptsAndDecryptsWithTheKeyIdInMetadata() {
    DataConverter converter = ApiKeysDataConverter.newDataConverter(PayloadKeys.parse("k1:" + K1));
    Map<String, String> secret = Map.of("token", "sk_" + "a".repeat(64));

    Payload payload = converter.toPayload(secret).orElseThrow();

    assertThat(payload.getMetadataMap().get("encoding").toStringUtf8())
        .isEqualTo("binary/encrypted");
    assertThat(payload.getMetadataMap().get("encryption-key-id").toStringUtf8()).isEqualTo("k1");
    assertThat(payload.getData().toString(StandardCharsets.ISO_8859_1)).doesNotContain("sk_aaaa");
    assertThat(converter.fromPayload(payload, Map.class, Map.class)).isEqualTo(secret);
  }

  /**
   * Issue 14, finding 3: with the codec on, a failure's message and stack trace are encrypted too
   * (they name what was wrong with a request); a client with the keys reads them as sent.
   */
  @Test
  void failureMessagesAreEncryptedWhenTheCodecIsOn() {
    DataConverter converter = ApiKeysDataConverter.newDataConverter(PayloadKeys.parse("k1:" + K1));
    ApplicationFailure refusal =
        ApplicationFailure.newNonRetryableFailure(
            "ApiKey with id \"apk_private_marker\" not found", "NOT_FOUND");

    Failure failure = converter.exceptionToFailure(refusal);

    assertThat(failure.getMessage()).isEqualTo("Encoded failure");
    assertThat(failure.getStackTrace()).isEmpty();
    assertThat(failure.getEncodedAttributes().getMetadataMap().get("encoding").toStringUtf8())
        .isEqualTo("binary/encrypted");
    assertThat(failure.toByteString().toString(StandardCharsets.ISO_8859_1))
        .doesNotContain("apk_private_marker");
    RuntimeException read = converter.failureToException(failure);
    assertThat(read)
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getOriginalMessage())
                  .isEqualTo("ApiKey with id \"apk_private_marker\" not found");
              assertThat(f.getType()).isEqualTo("NOT_FOUND");
              assertThat(f.isNonRetryable()).isTrue();
            });

    // Without the codec nothing is encrypted, failures included, as before.
    assertThat(ApiKeysDataConverter.newDataConverter().exceptionToFailure(refusal).getMessage())
        .contains("apk_private_marker");
  }

  @Test
  void anOldKeyStillDecryptsAfterRotation() {
    DataConverter before = ApiKeysDataConverter.newDataConverter(PayloadKeys.parse("k1:" + K1));
    DataConverter after =
        ApiKeysDataConverter.newDataConverter(PayloadKeys.parse("k2:" + K2 + ",k1:" + K1));

    Payload old = before.toPayload("written under k1").orElseThrow();
    Payload fresh = after.toPayload("written under k2").orElseThrow();

    assertThat(after.fromPayload(old, String.class, String.class)).isEqualTo("written under k1");
    assertThat(fresh.getMetadataMap().get("encryption-key-id").toStringUtf8()).isEqualTo("k2");
    assertThatThrownBy(() -> before.fromPayload(fresh, String.class, String.class))
        .hasMessage("payload encrypted with key id \"k2\", which is not configured");
  }

  @Test
  void tamperingIsDetected() {
    AesGcmPayloadCodec codec = new AesGcmPayloadCodec(PayloadKeys.parse("k1:" + K1));
    Payload sealed =
        codec
            .encode(List.of(Payload.newBuilder().setData(ByteString.copyFromUtf8("x")).build()))
            .get(0);
    byte[] data = sealed.getData().toByteArray();
    data[data.length - 1] ^= 1;
    Payload tampered = sealed.toBuilder().setData(ByteString.copyFrom(data)).build();
    Payload relabelled =
        sealed.toBuilder().putMetadata("encryption-key-id", ByteString.copyFromUtf8("k2")).build();

    assertThatThrownBy(() -> codec.decode(List.of(tampered)))
        .isInstanceOf(PayloadCodecException.class)
        .hasMessage("encrypted payload failed authentication");
    assertThatThrownBy(
            () ->
                new AesGcmPayloadCodec(PayloadKeys.parse("k1:" + K1 + ",k2:" + K1))
                    .decode(List.of(relabelled)))
        .hasMessage("encrypted payload failed authentication");
  }

  @Test
  void plainPayloadsPassThrough() {
    AesGcmPayloadCodec codec = new AesGcmPayloadCodec(PayloadKeys.parse("k1:" + K1));
    Payload plain =
        Payload.newBuilder()
            .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
            .setData(ByteString.copyFromUtf8("{\"id\":\"apk_1\"}"))
            .build();
    assertThat(codec.decode(List.of(plain))).containsExactly(plain);
  }

  @Test
  void badKeySpecsAreRefusedWithoutEchoingKeys() {
    assertThatThrownBy(() -> PayloadKeys.parse("")).hasMessage("no keys given");
    assertThatThrownBy(() -> PayloadKeys.parse("k1"))
        .hasMessage("each key must be written id:base64key");
    assertThatThrownBy(() -> PayloadKeys.parse("k1:!!!")).hasMessage("key k1 is not valid base64");
    assertThatThrownBy(
            () -> PayloadKeys.parse("k1:" + Base64.getEncoder().encodeToString(new byte[16])))
        .hasMessage("key k1 must be 32 bytes (AES-256), got 16");
    assertThatThrownBy(() -> PayloadKeys.parse("k1:" + K1 + ",k1:" + K2))
        .hasMessage("key id k1 appears twice");
    assertThat(PayloadKeys.parse("k1:" + K1).toString()).doesNotContain(K1);
  }
}
