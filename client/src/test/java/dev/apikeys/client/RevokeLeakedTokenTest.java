package dev.apikeys.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyErrorType;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.ApiKeysJson;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.SharedContext;
import dev.apikeys.security.LeakScan;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.EventOutbox;
import dev.apikeys.store.TestDatabase;
import dev.apikeys.testing.ApiKeysTestKit;
import dev.apikeys.testing.ClientTestKit;
import dev.apikeys.testing.TestStack;
import io.temporal.api.common.v1.Payload;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.converter.RawValue;
import io.temporal.testing.TestWorkflowEnvironment;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code revokeLeakedToken}: the key of a raw token is found in the caller's process and revoked by
 * id through the ordinary workflow, with the reason {@code "leaked"}; every other kind of token
 * gets its documented answer and changes nothing. Real activities on a real PostgreSQL.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RevokeLeakedTokenTest {
  private static final ObjectMapper JSON = ApiKeysJson.newObjectMapper();

  @RegisterExtension static final ApiKeysTestKit kit = ClientTestKit.newBuilder().build();

  private TestDatabase db;
  private ApiKeyStore keys;
  private ApiKeyModuleService module;
  private TestWorkflowEnvironment env;
  private WorkflowClient client;
  private String taskQueue;

  @BeforeEach
  void setUp(TestStack stack, ApiKeyModuleService module) {
    this.env = stack.env();
    this.client = stack.client();
    this.db = stack.db();
    this.keys = stack.keys();
    this.taskQueue = stack.taskQueue();
    this.module = module;
  }

  @Test
  void theKeyOfALeakedTokenIsRevokedByIdAtOnceWithTheReasonLeaked() throws Exception {
    ApiKeyDTO leaked = secret("leaked");
    ApiKeyDTO bystander = secret("bystander");

    LeakedTokenAnswer answer =
        module.revokeLeakedToken(leaked.token(), new RevokeApiKeyDTO("security", null), null);

    assertThat(answer.outcome()).isEqualTo(LeakedTokenAnswer.Outcome.REVOKED);
    JsonNode json = JSON.valueToTree(answer);
    assertThat(fieldNames(json))
        .containsExactly("found", "already_revoked", "revoked", "id", "revoked_at", "revocation");
    assertThat(json.get("found").asBoolean()).isTrue();
    assertThat(json.get("already_revoked").asBoolean()).isFalse();
    assertThat(json.get("revoked").asBoolean()).isTrue();
    assertThat(json.get("id").asText()).isEqualTo(leaked.id());
    Map<String, Object> row = keyRow(leaked.id());
    assertThat(row.get("revoked_by")).isEqualTo("security");
    assertThat(Instant.parse(json.get("revoked_at").asText())).isEqualTo(row.get("revoked_at"));
    assertThat(row.get("revoked_now")).as("revoke_in defaults to 0").isEqualTo(true);
    JsonNode revocation = json.get("revocation");
    assertThat(revocation.get("key_count").asInt()).isEqualTo(1);
    assertThat(revocation.get("revoked_by").asText()).isEqualTo("security");
    assertThat(revocationRows())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.get("id")).isEqualTo(revocation.get("revocation_id").asText());
              assertThat(r.get("reason")).isEqualTo("leaked");
              assertThat(r.get("key_count")).isEqualTo(1);
            });
    assertThat(keys.authenticate(leaked.token())).isEmpty();
    assertThat(keys.authenticate(bystander.token())).isPresent();

    String workflowId = revocation.get("workflow_id").asText();
    RevokeResult stamped = module.revocation(workflowId).await(Duration.ofSeconds(30));
    assertThat(stamped.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(events())
        .extracting(e -> e.name() + " " + e.data())
        .containsExactly("api_key.revoked {\"id\":\"" + leaked.id() + "\",\"reason\":\"leaked\"}");

    // The workflow got the id and the reason, and nothing of the token.
    String history = LeakScan.text(client.fetchHistory(workflowId));
    assertThat(history)
        .contains("\"id\":\"" + leaked.id() + "\"")
        .contains("\"reason\":\"leaked\"");
    assertThat(
            LeakScan.hits(
                Map.of("history of " + workflowId, history),
                LeakScan.token(leaked.id(), leaked.token())))
        .as("raw token found (named, never printed)")
        .isEmpty();
  }

  @Test
  void aKeyWhoseRevocationIsStillAheadIsLiveAndIsRevokedNow() throws Exception {
    ApiKeyDTO leaked = secret("pending");
    RevocationHandle later =
        module.startRevoke(
            RevokeRequest.ofId(leaked.id(), new RevokeApiKeyDTO("hr", 86_400L), null));

    LeakedTokenAnswer answer =
        module.revokeLeakedToken(leaked.token(), RevokeApiKeyDTO.now("security"), null);

    assertThat(answer.outcome()).isEqualTo(LeakedTokenAnswer.Outcome.REVOKED);
    assertThat(answer.apiKey().revokedAt()).isBefore(later.scheduled().scheduledAt());
    assertThat(keyRow(leaked.id()).get("revoked_by")).isEqualTo("security");
    assertThat(keys.authenticate(leaked.token())).isEmpty();
  }

  /**
   * The answers that change nothing, exactly as documented: no key is touched, no revocation is
   * recorded and no workflow is started for any of them.
   */
  @Test
  void unknownMalformedRevokedDeletedAndPublishableTokensGetTheirAnswersAndChangeNothing()
      throws Exception {
    ApiKeyDTO revoked = secret("revoked by medusa");
    ApiKeyDTO deleted = secret("deleted by medusa");
    ApiKeyDTO storefront = publishable("storefront");
    ApiKeyDTO revokedStorefront = publishable("old storefront");
    db.jdbi()
        .useHandle(
            h -> {
              h.execute(
                  "update api_key set revoked_at = now() - interval '1 minute', revoked_by ="
                      + " 'medusa' where id in (?, ?)",
                  revoked.id(),
                  revokedStorefront.id());
              h.execute("update api_key set deleted_at = now() where id = ?", deleted.id());
            });
    String before = allKeyRows();
    String unknownSecret = "sk_" + "0".repeat(64);
    String unknownPublishable = "pk_" + "0".repeat(64);

    Map<String, String> answers = new LinkedHashMap<>();
    for (Map.Entry<String, String> token :
        Map.of(
                "unknown secret", unknownSecret,
                "unknown publishable", unknownPublishable,
                "already revoked", revoked.token(),
                "deleted", deleted.token(),
                "already revoked publishable", revokedStorefront.token())
            .entrySet()) {
      answers.put(token.getKey(), answer(token.getValue()));
    }
    List<String> malformed =
        List.of(
            "",
            "   ",
            "hello",
            revoked.token().substring(0, 40),
            revoked.token() + "0",
            revoked.token().toUpperCase(),
            "ghp_" + "0".repeat(36),
            "sk_" + "g".repeat(64),
            "x".repeat(10_000));
    for (int i = 0; i < malformed.size(); i++) {
      answers.put("malformed #" + i, answer(malformed.get(i)));
    }
    String liveStorefront = answer(storefront.token());

    assertThat(answers)
        .containsEntry("unknown secret", "{\"found\":false}")
        .containsEntry("unknown publishable", "{\"found\":false}")
        .containsEntry("deleted", "{\"found\":false}")
        .containsEntry("already revoked", "{\"found\":true,\"already_revoked\":true}")
        .containsEntry("already revoked publishable", "{\"found\":true,\"already_revoked\":true}");
    assertThat(answers.entrySet())
        .filteredOn(e -> e.getKey().startsWith("malformed"))
        .hasSize(9)
        .allSatisfy(
            e ->
                assertThat(e.getValue())
                    .as(e.getKey())
                    .isEqualTo("{\"found\":false,\"malformed\":true}"));
    // Public by design: found, and left as it is.
    assertThat(liveStorefront)
        .isEqualTo(
            "{\"found\":true,\"already_revoked\":false,\"revoked\":false,"
                + "\"publishable\":true,\"id\":\""
                + storefront.id()
                + "\"}");

    assertThat(allKeyRows()).isEqualTo(before);
    assertThat(revocationRows()).isEmpty();
    assertThat(LeakScan.histories(client)).as("workflows started").isEmpty();
  }

  @Test
  void severalTokensAreOneRevocationAndEachIsAnsweredByPositionAndRedactedForm() throws Exception {
    ApiKeyDTO first = secret("first");
    ApiKeyDTO second = secret("second");
    ApiKeyDTO revoked = secret("revoked");
    ApiKeyDTO storefront = publishable("storefront");
    db.jdbi()
        .useHandle(
            h ->
                h.execute(
                    "update api_key set revoked_at = now() - interval"
                        + " '1 minute', revoked_by = 'medusa' where id = ?",
                    revoked.id()));
    String unknown = "sk_" + "ab".repeat(32);
    List<String> tokens =
        List.of(
            second.token(),
            unknown,
            first.token(),
            second.token(),
            "not a token",
            storefront.token(),
            revoked.token());

    LeakedTokensAnswer answer =
        module.revokeLeakedToken(
            tokens,
            new RevokeApiKeyDTO("security", null),
            SharedContext.newBuilder().setRequestId("leak-report-1").build());

    String json = JSON.writeValueAsString(answer);
    JsonNode lines = JSON.readTree(json).get("tokens");
    String revokedAt = keyRow(first.id()).get("revoked_at").toString();
    assertThat(lines)
        .extracting(JsonNode::toString)
        .containsExactly(
            "{\"line\":1,\"redacted\":\""
                + second.redacted()
                + "\",\"found\":true,"
                + "\"already_revoked\":false,\"revoked\":true,\"id\":\""
                + second.id()
                + "\",\"revoked_at\":\""
                + revokedAt
                + "\"}",
            "{\"line\":2,\"redacted\":\"sk_aba***bab\",\"found\":false}",
            "{\"line\":3,\"redacted\":\""
                + first.redacted()
                + "\",\"found\":true,"
                + "\"already_revoked\":false,\"revoked\":true,\"id\":\""
                + first.id()
                + "\",\"revoked_at\":\""
                + revokedAt
                + "\"}",
            "{\"line\":4,\"redacted\":\""
                + second.redacted()
                + "\",\"found\":true,"
                + "\"already_revoked\":false,\"revoked\":true,\"id\":\""
                + second.id()
                + "\",\"revoked_at\":\""
                + revokedAt
                + "\"}",
            "{\"line\":5,\"found\":false,\"malformed\":true}",
            "{\"line\":6,\"redacted\":\""
                + storefront.redacted()
                + "\",\"found\":true,"
                + "\"already_revoked\":false,\"revoked\":false,\"publishable\":true,\"id\":\""
                + storefront.id()
                + "\"}",
            "{\"line\":7,\"redacted\":\""
                + revoked.redacted()
                + "\",\"found\":true,"
                + "\"already_revoked\":true}");
    assertThat(keyRow(second.id()).get("revoked_at").toString()).isEqualTo(revokedAt);
    assertThat(keyRow(storefront.id()).get("revoked_at")).isNull();
    assertThat(revocationRows())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.get("id")).isEqualTo(answer.revocation().revocationId());
              assertThat(r.get("key_count")).isEqualTo(2);
              assertThat(r.get("reason")).isEqualTo("leaked");
              assertThat(r.get("request_id")).isEqualTo("leak-report-1");
            });
    for (String token : List.of(first.token(), second.token(), storefront.token(), unknown)) {
      assertThat(json).doesNotContain(token).doesNotContain(token.substring(3));
    }

    module.revocation(answer.revocation().workflowId()).await(Duration.ofSeconds(30));
    assertThat(events())
        .extracting(e -> e.data().toString())
        .containsExactlyInAnyOrder(
            "{\"id\":\"" + first.id() + "\",\"reason\":\"leaked\"}",
            "{\"id\":\"" + second.id() + "\",\"reason\":\"leaked\"}");
    // Nothing else started a workflow, and the one that ran saw ids only.
    Map<String, String> histories = LeakScan.histories(client);
    assertThat(histories).hasSize(1);
    Map<String, String> secrets = new LinkedHashMap<>();
    for (ApiKeyDTO key : List.of(first, second, revoked)) {
      secrets.putAll(LeakScan.token(key.id(), key.token()));
    }
    assertThat(LeakScan.hits(histories, secrets)).isEmpty();
  }

  /**
   * Someone else revokes a key between the moment it is found and the moment its revocation is
   * scheduled: the schedule refuses the whole request (Medusa's "already revoked"), changing
   * nothing, and the keys are found again, so the answer is the truth of that later moment. Holding
   * the key's row lock while revoking it keeps the schedule waiting exactly there.
   */
  @Test
  void aKeyRevokedByOthersWhileItsRevocationIsBeingScheduledIsAnsweredAsAlreadyRevoked()
      throws Exception {
    ApiKeyDTO leaked = secret("raced");
    CompletableFuture<LeakedTokenAnswer> answer;
    try (Handle other = db.jdbi().open()) {
      other.begin();
      other.execute(
          "update api_key set revoked_at = now() - interval '1 second', revoked_by ="
              + " 'medusa' where id = ?",
          leaked.id());
      answer =
          CompletableFuture.supplyAsync(
              () ->
                  module.revokeLeakedToken(leaked.token(), RevokeApiKeyDTO.now("security"), null));
      // The schedule found the key live (the update is not committed) and now waits for its lock.
      while (db.jdbi()
              .withHandle(
                  h ->
                      h.createQuery(
                              "select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
                                  + " and datname = current_database()")
                          .mapTo(Integer.class)
                          .one())
          == 0) {
        assertThat(answer).as("answered before the schedule reached the key").isNotDone();
        Thread.sleep(20);
      }
      other.commit();
    }

    assertThat(JSON.writeValueAsString(answer.get(60, TimeUnit.SECONDS)))
        .isEqualTo("{\"found\":true,\"already_revoked\":true}");
    assertThat(keyRow(leaked.id()).get("revoked_by")).isEqualTo("medusa");
    assertThat(revocationRows()).isEmpty();
  }

  @Test
  void badDataIsRefusedBeforeAnyTokenIsLookedUpAndChangesNothing() throws Exception {
    ApiKeyDTO leaked = secret("kept");
    String before = allKeyRows();

    refused(
        () -> module.revokeLeakedToken(leaked.token(), RevokeApiKeyDTO.now(" "), null),
        "You must provide a revoked_by field when revoking a key.");
    refused(
        () -> module.revokeLeakedToken(leaked.token(), null, null),
        "You must provide a revoked_by field when revoking a key.");
    refused(
        () -> module.revokeLeakedToken(leaked.token(), new RevokeApiKeyDTO("s", -1L), null),
        "data.revoke_in: must be 0 or more seconds");
    refused(
        () ->
            module.revokeLeakedToken(
                leaked.token(),
                RevokeApiKeyDTO.now("s"),
                SharedContext.newBuilder().setIdempotencyKey(" ").build()),
        "context.idempotencyKey: must not be blank");
    refused(
        () -> module.revokeLeakedToken(List.of(), RevokeApiKeyDTO.now("s"), null),
        "tokens: give at least one token");
    List<String> tooMany =
        new ArrayList<>(
            Collections.nCopies(ApiKeyModuleService.MAX_LEAKED_TOKENS, "sk_" + "0".repeat(64)));
    tooMany.add(leaked.token());
    refused(
        () -> module.revokeLeakedToken(tooMany, RevokeApiKeyDTO.now("s"), null),
        "tokens: at most 1000 in one call, got 1001; send them in parts");

    assertThat(allKeyRows()).isEqualTo(before);
    assertThat(revocationRows()).isEmpty();
    assertThat(LeakScan.histories(client)).isEmpty();
  }

  @Test
  void anIdempotencyKeyGivenAgainAnswersAlreadyRevokedAndSchedulesNothingMore() throws Exception {
    ApiKeyDTO leaked = secret("twice");
    SharedContext context = SharedContext.newBuilder().setIdempotencyKey("leak-42").build();
    LeakedTokenAnswer first =
        module.revokeLeakedToken(leaked.token(), RevokeApiKeyDTO.now("security"), context);
    module.revocation(first.revocation().workflowId()).await(Duration.ofSeconds(30));

    LeakedTokenAnswer again =
        module.revokeLeakedToken(leaked.token(), RevokeApiKeyDTO.now("security"), context);

    assertThat(first.revocation().workflowId()).isEqualTo("revoke-apikeys-leak-42");
    assertThat(JSON.writeValueAsString(again))
        .isEqualTo("{\"found\":true,\"already_revoked\":true}");
    assertThat(revocationRows()).hasSize(1);
    assertThat(events()).hasSize(1);
  }

  /** The reason is this project's own request field, open to any caller, not only this path. */
  @Test
  void anyRevocationMayGiveAReasonAndOnlyThoseThatDoCarryOneInTheirEvents() throws Exception {
    ApiKeyDTO offboarded = secret("offboarded");
    ApiKeyDTO routine = secret("routine");
    RevocationHandle withReason =
        module.startRevoke(
            RevokeRequest.ofId(offboarded.id(), RevokeApiKeyDTO.now("hr"), null)
                .withReason("offboarded"));
    RevocationHandle without =
        module.startRevoke(RevokeRequest.ofId(routine.id(), RevokeApiKeyDTO.now("ops"), null));
    withReason.await(Duration.ofSeconds(30));
    without.await(Duration.ofSeconds(30));

    assertThat(events())
        .extracting(e -> e.data().toString())
        .containsExactlyInAnyOrder(
            "{\"id\":\"" + offboarded.id() + "\",\"reason\":\"offboarded\"}",
            "{\"id\":\"" + routine.id() + "\"}");
    assertThat(revocationRows())
        .extracting(r -> r.get("reason"))
        .containsExactlyInAnyOrder("offboarded", null);

    // docs/leaked-tokens.md's example, as the Temporal CLI sends it (one json/plain payload).
    ApiKeyDTO fromCli = secret("from the temporal cli");
    String docsInput =
        "{\"id\":\"apk_123\",\"data\":{\"revoked_by\":\"hr\"},\"reason\":\"offboarded\"}";
    WorkflowStub cli =
        client.newUntypedWorkflowStub(
            RevocationNames.WORKFLOW_TYPE,
            WorkflowOptions.newBuilder()
                .setTaskQueue(taskQueue)
                .setWorkflowId("cli-reason")
                .build());
    cli.start(
        new RawValue(
            Payload.newBuilder()
                .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
                .setData(ByteString.copyFromUtf8(docsInput.replace("apk_123", fromCli.id())))
                .build()));
    assertThat(cli.getResult(30, TimeUnit.SECONDS, RevokeResult.class).status())
        .isEqualTo(RevocationState.REVOKED);
    assertThat(events())
        .extracting(e -> e.data().toString())
        .contains("{\"id\":\"" + fromCli.id() + "\",\"reason\":\"offboarded\"}");

    assertThatThrownBy(
            () ->
                module.startRevoke(
                    RevokeRequest.ofId(routine.id(), RevokeApiKeyDTO.now("ops"), null)
                        .withReason("x".repeat(101))))
        .isInstanceOfSatisfying(
            ApiKeyException.class,
            e -> assertThat(e.getType()).isEqualTo(ApiKeyErrorType.INVALID_DATA))
        .hasMessage("reason: longer than 100 characters");
  }

  // ---- helpers --------------------------------------------------------------------------------

  private ApiKeyDTO secret(String title) {
    return keys.createApiKey(new CreateApiKeyDTO(title, "secret", "user_1"));
  }

  private ApiKeyDTO publishable(String title) {
    return keys.createApiKey(new CreateApiKeyDTO(title, "publishable", "user_1"));
  }

  private String answer(String token) throws Exception {
    return JSON.writeValueAsString(
        module.revokeLeakedToken(token, RevokeApiKeyDTO.now("security"), null));
  }

  private static void refused(Runnable call, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            ApiKeyException.class,
            e -> assertThat(e.getType()).isEqualTo(ApiKeyErrorType.INVALID_DATA))
        .hasMessage(message);
  }

  private Map<String, Object> keyRow(String id) {
    return db.jdbi()
        .withHandle(
            h ->
                h.createQuery(
                        "select revoked_by, revoked_at, revoked_at <= now() as revoked_now from api_key"
                            + " where id = :id")
                    .bind("id", id)
                    .map(
                        (rs, ctx) -> {
                          Map<String, Object> row = new LinkedHashMap<>();
                          row.put("revoked_by", rs.getString("revoked_by"));
                          row.put(
                              "revoked_at",
                              rs.getTimestamp("revoked_at") == null
                                  ? null
                                  : rs.getTimestamp("revoked_at").toInstant());
                          row.put("revoked_now", rs.getObject("revoked_now"));
                          return row;
                        })
                    .one());
  }

  private String allKeyRows() {
    List<String> rows =
        db.jdbi()
            .withHandle(
                h ->
                    h.createQuery("select cast(to_jsonb(k) as text) from api_key k order by id")
                        .mapTo(String.class)
                        .list());
    return String.join("\n", rows);
  }

  private List<Map<String, Object>> revocationRows() {
    return db.jdbi()
        .withHandle(
            h ->
                h.createQuery(
                        "select id, reason, key_count, request_id from apikeys_revocation order by seq")
                    .mapToMap()
                    .list());
  }

  private List<EventOutbox.Event> events() {
    return new EventOutbox().readAfter(db.jdbi(), 0, 1_000);
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
