package dev.apikeys.revocation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apikeys.model.ApiKeyErrorType;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.ApiKeysJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RevokeRequestParserTest {
  private static final ObjectMapper JSON = ApiKeysJson.newObjectMapper();

  private static ValidRevokeRequest parse(String json) throws Exception {
    return RevokeRequestParser.parse(new RevokeRequest(JSON.readTree(json)));
  }

  @Test
  void theCliExampleParses() throws Exception {
    ValidRevokeRequest r =
        parse(
            "{\"selector\":{\"id\":\"apk_123\"},\"data\":{\"revoked_by\":\"user_123\","
                + "\"revoke_in\":60},\"context\":{\"idempotencyKey\":\"rk-1\"}}");
    assertThat(r.singleKey()).isFalse();
    assertThat(r.selector().get("id").asText()).isEqualTo("apk_123");
    assertThat(r.revokedBy()).isEqualTo("user_123");
    assertThat(r.revokeInSeconds()).isEqualTo(60);
    assertThat(r.context().idempotencyKey()).isEqualTo("rk-1");
  }

  @Test
  void theIdOverloadAndDefaults() throws Exception {
    ValidRevokeRequest r = parse("{\"id\":\"apk_1\",\"data\":{\"revoked_by\":\"u\"}}");
    assertThat(r.singleKey()).isTrue();
    assertThat(r.revokeInSeconds()).isZero();
    assertThat(r.context()).isEqualTo(SharedContext.EMPTY);
    assertThat(
            parse("{\"id\":\"apk_1\",\"data\":{\"revoked_by\":\"u\",\"revoke_in\":60.0}}")
                .revokeInSeconds())
        .isEqualTo(60);
    assertThat(
            parse("{\"id\":\"apk_1\",\"data\":{\"revoked_by\":\"u\",\"revoke_in\":315576000}}")
                .revokeInSeconds())
        .isEqualTo(RevokeRequestParser.MAX_REVOKE_IN_SECONDS);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      null                                                              | request: expected a JSON object
      "apk_1"                                                           | request: expected a JSON object
      {}                                                                | request: give "id" or "selector"
      {"id":"a","selector":{"id":"a"},"data":{"revoked_by":"u"}}        | request: give either "id" or "selector", not both
      {"ids":"a","data":{"revoked_by":"u"}}                             | request.ids: unknown field "ids"
      {"id":["a"],"data":{"revoked_by":"u"}}                            | id: expected a string, got array
      {"id":1,"data":{"revoked_by":"u"}}                                | id: expected a string, got number
      {"selector":[],"data":{"revoked_by":"u"}}                         | selector: expected an object, got array
      {"selector":{},"data":{"revoked_by":"u"}}                         | selector: an empty selector would match every key
      {"id":"a"}                                                        | You must provide a revoked_by field when revoking a key.
      {"id":"a","data":{}}                                              | You must provide a revoked_by field when revoking a key.
      {"id":"a","data":{"revoked_by":""}}                               | You must provide a revoked_by field when revoking a key.
      {"id":"a","data":{"revoked_by":"   "}}                            | You must provide a revoked_by field when revoking a key.
      {"id":"a","data":{"revoked_by":null}}                             | You must provide a revoked_by field when revoking a key.
      {"id":"a","data":{"revoked_by":7}}                                | data.revoked_by: expected a string, got number
      {"id":"a","data":"u"}                                             | data: expected an object, got string
      {"id":"a","data":{"revoked_by":"u","revoke_in":"60"}}             | data.revoke_in: expected a whole number of seconds, got string
      {"id":"a","data":{"revoked_by":"u","revoke_in":-1}}               | data.revoke_in: must be 0 or more seconds
      {"id":"a","data":{"revoked_by":"u","revoke_in":1.5}}              | data.revoke_in: must be a whole number of seconds
      {"id":"a","data":{"revoked_by":"u","revoke_in":315576001}}        | data.revoke_in: at most 315576000 seconds (10 years)
      {"id":"a","data":{"revoked_by":"u","revoke_in":1e300}}            | data.revoke_in: at most 315576000 seconds (10 years)
      {"id":"a","data":{"revoked_by":"u","revoke_in":true}}             | data.revoke_in: expected a whole number of seconds, got boolean
      {"id":"a","data":{"revoked_by":"u","revokeIn":5}}                 | data.revokeIn: unknown field "revokeIn"
      {"id":"a","data":{"revoked_by":"u\\u0000"}}                       | data.revoked_by: contains a NUL character
      {"id":"a","data":{"revoked_by":"u"},"context":[]}                 | context: expected an object, got array
      {"id":"a","data":{"revoked_by":"u"},"context":{"idempotency_key":"k"}} | context.idempotency_key: unknown field "idempotency_key"
      {"id":"a","data":{"revoked_by":"u"},"context":{"idempotencyKey":5}}    | context.idempotencyKey: expected a string, got number
      {"id":"a","data":{"revoked_by":"u"},"context":{"idempotencyKey":" "}}  | context.idempotencyKey: must not be blank
      {"id":"a","data":{"revoked_by":"u"},"context":{"isCancelling":"yes"}}  | context.isCancelling: expected true or false, got string
      {"id":"a","data":{"revoked_by":"u"},"reason":7}                   | reason: expected a string, got number
      {"id":"a","data":{"revoked_by":"u"},"reason":{"why":"leaked"}}    | reason: expected a string, got object
      {"id":"a","data":{"revoked_by":"u"},"reason":""}                  | reason: must not be blank
      {"id":"a","data":{"revoked_by":"u"},"reason":"  "}                | reason: must not be blank
      {"id":"a","data":{"revoked_by":"u"},"reason":"lea\\u0000ked"}    | reason: contains a NUL character
      {"id":"a","data":{"revoked_by":"u","reason":"leaked"}}            | data.reason: unknown field "reason"
      {"id":"a","data":{"revoked_by":"u"},"reason":"leaked: sk_0123abcd"} | reason: holds what looks like a raw secret token (sk_…); say why without it
      """)
  void refusals(String json, String message) {
    assertThatThrownBy(() -> parse(json))
        .isInstanceOfSatisfying(
            ApiKeyException.class,
            e -> assertThat(e.getType()).isEqualTo(ApiKeyErrorType.INVALID_DATA))
        .hasMessageStartingWith(message);
  }

  @Test
  void overlongTextIsRefused() {
    String by = "u".repeat(RevokeRequestParser.MAX_TEXT_LENGTH + 1);
    assertThatThrownBy(() -> parse("{\"id\":\"a\",\"data\":{\"revoked_by\":\"" + by + "\"}}"))
        .hasMessage("data.revoked_by: longer than 10000 characters");
  }

  @Test
  void aReasonIsCarriedAsGivenAndIsOptional() throws Exception {
    assertThat(
            parse("{\"id\":\"apk_1\",\"data\":{\"revoked_by\":\"u\"},\"reason\":\"leaked\"}")
                .reason())
        .isEqualTo("leaked");
    assertThat(parse("{\"id\":\"apk_1\",\"data\":{\"revoked_by\":\"u\"},\"reason\":null}").reason())
        .isNull();
    assertThat(parse("{\"id\":\"apk_1\",\"data\":{\"revoked_by\":\"u\"}}").reason()).isNull();
    String longest = "r".repeat(RevokeRequestParser.MAX_REASON_LENGTH);
    assertThat(
            parse(
                    "{\"id\":\"apk_1\",\"data\":{\"revoked_by\":\"u\"},\"reason\":\""
                        + longest
                        + "\"}")
                .reason())
        .isEqualTo(longest);
    assertThatThrownBy(
            () ->
                parse(
                    "{\"id\":\"apk_1\",\"data\":{\"revoked_by\":\"u\"},\"reason\":\""
                        + longest
                        + "r\"}"))
        .hasMessage("reason: longer than 100 characters");
  }

  @Test
  void withReasonSetsTheFieldBesideTheOthersAndKeepsTheRest() throws Exception {
    RevokeRequest request =
        RevokeRequest.ofId(
                "apk_1",
                new RevokeApiKeyDTO("u", null),
                SharedContext.newBuilder().setIdempotencyKey("k").build())
            .withReason("leaked");
    assertThat(request.json().toString())
        .isEqualTo(
            "{\"id\":\"apk_1\",\"data\":{\"revoked_by\":\"u\"},"
                + "\"context\":{\"idempotencyKey\":\"k\"},\"reason\":\"leaked\"}");
    assertThat(RevokeRequestParser.parse(request).reason()).isEqualTo("leaked");
    assertThat(request.withReason(null).json().has("reason")).isFalse();
  }

  /**
   * Fingerprints are stored with every revocation and compared when an idempotency key comes again,
   * so a request without a reason must keep the fingerprint it had before reasons existed; these
   * values were computed by the code before the field was added.
   */
  @Test
  void fingerprintsOfRequestsWithoutAReasonAreUnchanged() throws Exception {
    assertThat(
            RequestFingerprint.of(
                RevokeRequestParser.parse(
                    RevokeRequest.ofId("apk_123", new RevokeApiKeyDTO("user_123", 60L), null))))
        .isEqualTo("aafc77ff7371df0d1bb7351a7f6580ff69553f5a2af77b3010bbaf56baf27150");
    assertThat(
            RequestFingerprint.of(
                RevokeRequestParser.parse(
                    RevokeRequest.ofSelector(
                        JSON.readTree("{\"id\":[\"apk_2\",\"apk_1\"],\"type\":\"secret\"}"),
                        new RevokeApiKeyDTO("user_123", 0L),
                        null))))
        .isEqualTo("95d21f02137654e630ed07cc7f210857ec5a33848af21b2dc7376ba87f0ead89");
  }

  @Test
  void aReasonIsPartOfTheFingerprint() throws Exception {
    RevokeRequest plain = RevokeRequest.ofId("apk_123", new RevokeApiKeyDTO("user_123", 60L), null);
    String without = RequestFingerprint.of(RevokeRequestParser.parse(plain));
    String leaked = RequestFingerprint.of(RevokeRequestParser.parse(plain.withReason("leaked")));
    String other = RequestFingerprint.of(RevokeRequestParser.parse(plain.withReason("offboarded")));
    assertThat(leaked).isNotEqualTo(without).isNotEqualTo(other);
    assertThat(RequestFingerprint.of(RevokeRequestParser.parse(plain.withReason("leaked"))))
        .isEqualTo(leaked);
  }
}
