package dev.apikeys.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyType;
import dev.apikeys.model.ApiKeysJson;
import dev.apikeys.revocation.ApiKeysDataConverter;
import io.temporal.api.common.v1.Payload;
import io.temporal.common.converter.DataConverter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Rotation's payloads against fixture files, read through the data converter the worker uses:
 * {@code rotate-request.json} is the input as the Temporal CLI sends it ({@code temporal workflow
 * start --type RotateApiKeysWorkflow --input '…'}), and {@code rotation-result.json} is the result
 * a caller reads back, whose new token is only ever sealed.
 */
class RotationPayloadJsonTest {
  private static final ObjectMapper JSON = ApiKeysJson.newObjectMapper();
  private static final DataConverter CONVERTER = ApiKeysDataConverter.newDataConverter();
  private static final Instant AT = Instant.parse("2026-11-27T18:00:00Z");
  private static final String PUBLIC_KEY = "t8XGfZqcrzRPJSknbhKwCl7C5JGhS5CAeCo4F391o1Y=";

  /** A raw token, secret or publishable, or a body long enough to be one's. */
  private static final Pattern RAW_TOKEN = Pattern.compile("(sk_|pk_)?[0-9a-f]{32,}");

  private static String fixtureText(String name) throws IOException {
    try (InputStream in = RotationPayloadJsonTest.class.getResourceAsStream("/fixtures/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** The fixture as the CLI puts it on the wire: a {@code json/plain} payload. */
  private static Payload payload(String name) throws IOException {
    return Payload.newBuilder()
        .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
        .setData(ByteString.copyFromUtf8(fixtureText(name)))
        .build();
  }

  private static JsonNode written(Object value) throws IOException {
    Payload payload = CONVERTER.toPayload(value).orElseThrow();
    assertThat(payload.getMetadataMap().get("encoding").toStringUtf8()).isEqualTo("json/plain");
    return JSON.readTree(payload.getData().toStringUtf8());
  }

  @Test
  void rotateRequestIsTheCliJson() throws IOException {
    RotateRequest read =
        CONVERTER.fromPayload(
            payload("rotate-request.json"), RotateRequest.class, RotateRequest.class);

    ValidRotateRequest valid = ValidRotateRequest.parse(read);
    assertThat(valid.id()).isNull();
    assertThat(valid.selector()).isEqualTo(JSON.readTree("{\"created_by\":\"svc\"}"));
    assertThat(valid.rotatedBy()).isEqualTo("rotator");
    assertThat(valid.graceSeconds()).isEqualTo(86_400);
    assertThat(valid.recipient()).isEqualTo(new Recipient("billing-service", PUBLIC_KEY));

    RotateRequest built =
        RotateRequest.ofSelector(
            JSON.readTree("{\"created_by\":\"svc\"}"),
            "rotator",
            86_400,
            new Recipient("billing-service", PUBLIC_KEY));
    assertThat(written(built)).isEqualTo(JSON.readTree(fixtureText("rotate-request.json")));
  }

  @Test
  void rotationResultHandsOutTheNewTokenOnlySealed() throws IOException {
    RotationResult read =
        CONVERTER.fromPayload(
            payload("rotation-result.json"), RotationResult.class, RotationResult.class);

    assertThat(read.rotationId()).isEqualTo("rot_01JZ0000000000000000000000");
    assertThat(read.workflowId()).isEqualTo("rotate-svc");
    assertThat(read.recipient()).isEqualTo(new Recipient("billing-service", PUBLIC_KEY));
    assertThat(read.revocationWorkflowId()).isEqualTo("revoke-apikeys-rotate-svc:revoke-old-keys");
    assertThat(read.graceSeconds()).isEqualTo(86_400L);
    assertThat(read.message()).isNull();
    assertThat(read.successors())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.oldKeyId()).isEqualTo("apk_01JZ0000000000000000000000");
              ApiKeyDTO key = s.apiKey();
              assertThat(key.id()).isEqualTo("apk_01JZ0000000000000000000001");
              assertThat(key.token()).isEmpty();
              assertThat(key.redacted()).isEqualTo("sk_9c1***0de");
              assertThat(key.type()).isEqualTo(ApiKeyType.SECRET);
              assertThat(key.createdBy()).isEqualTo("svc");
              assertThat(key.createdAt()).isEqualTo(AT);
              assertThat(key.revokedAt()).isNull();
              assertThat(s.sealedToken().suite()).isEqualTo(SealedToken.SUITE);
              assertThat(s.sealedToken().enc())
                  .isEqualTo("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=");
              assertThat(s.sealedToken().ciphertext()).startsWith("4Y8ahnuLRo3/");
            });

    // Written back, it is the fixture again: what a caller reads is this JSON.
    assertThat(written(read)).isEqualTo(JSON.readTree(fixtureText("rotation-result.json")));
  }

  @Test
  void theResultFixtureHoldsNoRawToken() throws IOException {
    String text = fixtureText("rotation-result.json");
    assertThat(RAW_TOKEN.matcher(text).find()).as("a raw token in rotation-result.json").isFalse();
    JsonNode successor = JSON.readTree(text).get("successors").get(0);
    assertThat(successor.get("api_key").get("token").asText()).isEmpty();
    assertThat(successor.has("token")).isFalse();
  }
}
