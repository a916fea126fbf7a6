package dev.apikeys.revocation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyType;
import dev.apikeys.model.ApiKeysJson;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.model.FindConfig;
import dev.apikeys.model.ListResult;
import dev.apikeys.model.UpdateApiKeyDTO;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Each payload type against a fixture file, both ways, with the mapper the data converter uses: the
 * JSON a Temporal CLI user writes and reads is this JSON.
 */
class PayloadJsonTest {
  private static final ObjectMapper JSON = ApiKeysJson.newObjectMapper();
  private static final Instant AT = Instant.parse("2026-11-27T18:00:00Z");
  private static final Instant LATER = Instant.parse("2026-11-27T18:01:00Z");

  private static final ApiKeyDTO KEY =
      new ApiKeyDTO(
          "apk_01JZ0000000000000000000000",
          "",
          "sk_6ec***47f",
          "Backend",
          ApiKeyType.SECRET,
          null,
          "user_1",
          AT,
          AT,
          null,
          "user_123",
          LATER);

  private static JsonNode fixture(String name) throws IOException {
    try (InputStream in = PayloadJsonTest.class.getResourceAsStream("/fixtures/" + name)) {
      return JSON.readTree(in);
    }
  }

  /**
   * Serializes to the fixture, and the fixture deserializes to an equal value (compared as JSON,
   * since records that keep raw JSON compare number nodes by their Java type).
   */
  private static <T> void roundTrip(T value, Class<T> type, String fixture) throws IOException {
    assertThat(reparsed(value)).as("serializes to " + fixture).isEqualTo(fixture(fixture));
    T read = JSON.treeToValue(fixture(fixture), type);
    assertThat(read).isInstanceOf(type);
    assertThat(reparsed(read)).as("deserializes from " + fixture).isEqualTo(reparsed(value));
  }

  private static JsonNode reparsed(Object value) throws IOException {
    return JSON.readTree(JSON.writeValueAsString(value));
  }

  @Test
  void revokeRequestIsTheCliJson() throws IOException {
    RevokeRequest request =
        RevokeRequest.ofSelector(
            JSON.readTree("{\"id\":\"apk_123\"}"),
            new RevokeApiKeyDTO("user_123", 60L),
            SharedContext.newBuilder().setIdempotencyKey("rk-1").build());
    roundTrip(request, RevokeRequest.class, "revoke-request.json");
  }

  @Test
  void revokeRequestByIdWithTheWholeContext() throws IOException {
    RevokeRequest request =
        RevokeRequest.ofId(
            "apk_123",
            new RevokeApiKeyDTO("user_123", 0L),
            SharedContext.newBuilder()
                .setRequestId("req_1")
                .setTransactionId("tx_1")
                .setRunId("run_1")
                .setEventGroupId("grp_1")
                .setIdempotencyKey("rk-2")
                .setParentStepIdempotencyKey("parent-1")
                .setPreventReleaseEvents(true)
                .setIsCancelling(false)
                .setCancelingFromParentStep(false)
                .build());
    roundTrip(request, RevokeRequest.class, "revoke-request-by-id.json");
  }

  @Test
  void revokeRequestOfALeakedToken() throws IOException {
    RevokeRequest request =
        RevokeRequest.ofSelector(
                JSON.readTree("{\"id\":[\"apk_123\",\"apk_456\"]}"),
                new RevokeApiKeyDTO("security", 0L),
                null)
            .withReason("leaked");
    roundTrip(request, RevokeRequest.class, "revoke-request-leaked.json");
  }

  @Test
  void revokeResult() throws IOException {
    RevokeResult result =
        new RevokeResult(
            "rvk_01JZ0000000000000000000000",
            "revoke-apikeys-rk-1",
            RevocationState.REVOKED,
            "user_123",
            LATER,
            1,
            false,
            List.of(KEY),
            null,
            null);
    roundTrip(result, RevokeResult.class, "revoke-result.json");
  }

  @Test
  void revocationStatus() throws IOException {
    RevocationStatus status =
        new RevocationStatus(
            RevocationState.SCHEDULED,
            "rvk_01JZ0000000000000000000000",
            LATER,
            1L,
            "user_123",
            null,
            null);
    roundTrip(status, RevocationStatus.class, "revocation-status.json");
  }

  @Test
  void rescheduleRequest() throws IOException {
    roundTrip(RescheduleRequest.inSeconds(30), RescheduleRequest.class, "reschedule-request.json");
  }

  @Test
  void scheduleRevocation() throws IOException {
    ScheduleRevocation command =
        new ScheduleRevocation(
            "revoke-apikeys-rk-1",
            "run-1",
            new ValidRevokeRequest("apk_123", null, "user_123", 60, SharedContext.EMPTY),
            LATER);
    roundTrip(command, ScheduleRevocation.class, "schedule-revocation.json");
  }

  @Test
  void scheduleRevocationWithAReason() throws IOException {
    ScheduleRevocation command =
        new ScheduleRevocation(
            "revoke-apikeys-rk-1",
            "run-1",
            new ValidRevokeRequest("apk_123", null, "security", 0, SharedContext.EMPTY, "leaked"),
            LATER);
    roundTrip(command, ScheduleRevocation.class, "schedule-revocation-leaked.json");
  }

  @Test
  void moduleRecords() throws IOException {
    roundTrip(KEY, ApiKeyDTO.class, "api-key.json");
    roundTrip(
        new CreateApiKeyDTO("Backend", "secret", "user_1"),
        CreateApiKeyDTO.class,
        "create-api-key.json");
    roundTrip(new UpdateApiKeyDTO("Renamed"), UpdateApiKeyDTO.class, "update-api-key.json");
    roundTrip(
        new FindConfig(0, 20, Map.of("created_at", "DESC")), FindConfig.class, "find-config.json");
    roundTrip(new ListResult(List.of(KEY), 1), ListResult.class, "list-result.json");
  }
}
