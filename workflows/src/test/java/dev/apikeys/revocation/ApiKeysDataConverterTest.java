package dev.apikeys.revocation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.apikeys.codec.PayloadKeyUnavailableException;
import dev.apikeys.codec.PayloadKeys;
import dev.apikeys.codec.UnreadablePayloadException;
import dev.apikeys.rotation.RotateRequest;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DataConverterException;
import io.temporal.failure.ApplicationFailure;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * What the data converter does with a payload it cannot read: a key this process lacks stays a
 * fault (the worker's task is retried until a worker with the key runs it), while a client's input
 * that no configuration can read is an INVALID_DATA refusal, whose message never repeats the
 * payload.
 */
class ApiKeysDataConverterTest {
  private static final String TOKEN = "sk_" + "c".repeat(64);
  private static final PayloadKeys K1 = PayloadKeys.parse("k1:" + key());
  private static final PayloadKeys K2 = PayloadKeys.parse("k2:" + key());

  private static final DataConverter PLAIN = ApiKeysDataConverter.newDataConverter();
  private static final DataConverter WITH_K1 = ApiKeysDataConverter.newDataConverter(K1);
  private static final DataConverter WITH_K2 = ApiKeysDataConverter.newDataConverter(K2);

  private static final RevokeRequest REQUEST =
      RevokeRequest.ofId("apk_1", new RevokeApiKeyDTO(TOKEN, 60L), SharedContext.EMPTY);

  @Test
  void aKeyThisProcessLacksIsAFaultForEveryTypeNeverARefusal() {
    Payload underK1 = WITH_K1.toPayload(REQUEST).orElseThrow();
    Payload resultUnderK1 = WITH_K1.toPayload(Revocation.class.getSimpleName()).orElseThrow();

    for (DataConverter lacking : new DataConverter[] {WITH_K2, PLAIN}) {
      assertThatThrownBy(
              () -> lacking.fromPayload(underK1, RevokeRequest.class, RevokeRequest.class))
          .isInstanceOfSatisfying(
              PayloadKeyUnavailableException.class, e -> assertThat(e.keyId()).isEqualTo("k1"));
      assertThatThrownBy(() -> lacking.fromPayload(resultUnderK1, String.class, String.class))
          .isInstanceOf(PayloadKeyUnavailableException.class);
    }
    assertThatThrownBy(() -> PLAIN.fromPayload(underK1, RevokeRequest.class, RevokeRequest.class))
        .hasMessage("payload encrypted with key id \"k1\", and this process has no codec keys");
    assertThatThrownBy(() -> WITH_K2.fromPayload(underK1, RevokeRequest.class, RevokeRequest.class))
        .hasMessage("payload encrypted with key id \"k1\", which is not configured");
    // The arguments of a workflow method go the same way.
    Optional<Payloads> args = WITH_K1.toPayloads(REQUEST, null);
    assertThatThrownBy(
            () ->
                WITH_K2.fromPayloads(
                    args,
                    new Class<?>[] {RevokeRequest.class, ContinuedRevocation.class},
                    new java.lang.reflect.Type[] {RevokeRequest.class, ContinuedRevocation.class}))
        .isInstanceOf(PayloadKeyUnavailableException.class);
  }

  @Test
  void aForgedPayloadUnderAKeyThisProcessHoldsIsRefusedAsAClientInput() {
    Payload genuine = WITH_K1.toPayload(REQUEST).orElseThrow();
    byte[] data = genuine.getData().toByteArray();
    data[data.length - 1] ^= 1;
    Payload tampered = genuine.toBuilder().setData(ByteString.copyFrom(data)).build();

    assertRefused(
        () -> WITH_K1.fromPayload(tampered, RevokeRequest.class, RevokeRequest.class),
        "request: cannot be read, and never will be: encrypted payload failed authentication");
    assertRefused(
        () -> WITH_K1.fromPayload(tampered, RescheduleRequest.class, RescheduleRequest.class),
        "reschedule: cannot be read, and never will be: encrypted payload failed authentication");
    assertRefused(
        () -> WITH_K1.fromPayload(tampered, RotateRequest.class, RotateRequest.class),
        "request: cannot be read, and never will be: encrypted payload failed authentication");
    // What this project's own code wrote stays a fault: it is no client's input to refuse.
    assertThatThrownBy(() -> WITH_K1.fromPayload(tampered, Revocation.class, Revocation.class))
        .isInstanceOf(UnreadablePayloadException.class);
  }

  @Test
  void aPayloadNamingNoPossibleKeyIdIsRefusedWithOrWithoutKeys() {
    Payload genuine = WITH_K1.toPayload(REQUEST).orElseThrow();
    Payload unnamed = genuine.toBuilder().removeMetadata("encryption-key-id").build();
    for (DataConverter converter : new DataConverter[] {WITH_K1, PLAIN}) {
      assertRefused(
          () -> converter.fromPayload(unnamed, RevokeRequest.class, RevokeRequest.class),
          "request: cannot be read, and never will be: encrypted payload names no key id that"
              + " APIKEYS_CODEC_KEYS could hold");
    }
  }

  @Test
  void anEncodingThisProjectNeverWritesIsRefusedWithoutQuotingThePayload() {
    Payload json = PLAIN.toPayload(REQUEST).orElseThrow();
    Payload zstd =
        json.toBuilder().putMetadata("encoding", ByteString.copyFromUtf8("binary/zstd")).build();
    Payload tokenAsEncoding =
        json.toBuilder().putMetadata("encoding", ByteString.copyFromUtf8(TOKEN)).build();
    Payload noEncoding = json.toBuilder().clearMetadata().build();

    for (DataConverter converter : new DataConverter[] {PLAIN, WITH_K1}) {
      assertRefused(
          () -> converter.fromPayload(zstd, RevokeRequest.class, RevokeRequest.class),
          "request: cannot be read, and never will be: encoding \"binary/zstd\" is not one this"
              + " project writes");
      assertRefused(
          () ->
              converter.fromPayload(
                  tokenAsEncoding, RevokeNowRequest.class, RevokeNowRequest.class),
          "revokeNow: cannot be read, and never will be: encoding \"sk_…\" is not one this"
              + " project writes");
      assertRefused(
          () -> converter.fromPayload(noEncoding, RevokeRequest.class, RevokeRequest.class),
          "request: cannot be read, and never will be: the payload names no encoding");
      assertThatThrownBy(() -> converter.fromPayload(zstd, Revocation.class, Revocation.class))
          .isInstanceOf(DataConverterException.class);
    }
  }

  @Test
  void malformedJsonOfAnUpdateIsRefusedAndARevokeRequestKeepsItsOwnRefusal() {
    Payload malformed =
        PLAIN.toPayload(REQUEST).orElseThrow().toBuilder()
            .setData(ByteString.copyFrom("{\"revoke_in\": \"" + TOKEN, StandardCharsets.UTF_8))
            .build();

    assertRefused(
        () -> PLAIN.fromPayload(malformed, RescheduleRequest.class, RescheduleRequest.class),
        "reschedule: cannot be read, and never will be: malformed JSON, or JSON of another shape");
    // The revoke request keeps the refusal every recorded history of one went through.
    RevokeRequest read = PLAIN.fromPayload(malformed, RevokeRequest.class, RevokeRequest.class);
    assertThat(read.json().isMissingNode()).isTrue();
  }

  @Test
  void whatOneSideWritesTheOtherReadsAsBefore() {
    String sent = REQUEST.json().toString();
    assertThat(
            WITH_K1
                .fromPayload(
                    WITH_K1.toPayload(REQUEST).orElseThrow(),
                    RevokeRequest.class,
                    RevokeRequest.class)
                .json())
        .hasToString(sent);
    assertThat(
            PLAIN
                .fromPayload(
                    PLAIN.toPayload(REQUEST).orElseThrow(),
                    RevokeRequest.class,
                    RevokeRequest.class)
                .json())
        .hasToString(sent);
    // Plain payloads (temporal workflow start --input) still reach a worker with keys.
    assertThat(
            WITH_K1
                .fromPayload(
                    PLAIN.toPayload(REQUEST).orElseThrow(),
                    RevokeRequest.class,
                    RevokeRequest.class)
                .json())
        .hasToString(sent);
    // An absent second argument is null, as the SDK gives it.
    assertThat(
            WITH_K1.fromPayloads(
                1,
                WITH_K1.toPayloads(REQUEST),
                ContinuedRevocation.class,
                ContinuedRevocation.class))
        .isNull();
  }

  private static void assertRefused(ThrowingCallable read, String message) {
    assertThatThrownBy(read)
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo("INVALID_DATA");
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getOriginalMessage()).isEqualTo(message).doesNotContain(TOKEN);
            });
  }

  private static String key() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return Base64.getEncoder().encodeToString(k);
  }
}
