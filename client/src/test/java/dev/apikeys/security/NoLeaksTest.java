package dev.apikeys.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.apikeys.activities.RevocationActivitiesImpl;
import dev.apikeys.activities.RotationActivitiesImpl;
import dev.apikeys.client.ApiKeyModuleService;
import dev.apikeys.client.LeakedTokenAnswer;
import dev.apikeys.client.LeakedTokensAnswer;
import dev.apikeys.client.RevocationHandle;
import dev.apikeys.codec.PayloadKeys;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyErrorType;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.ApiKeysJson;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.model.FilterableApiKeyProps;
import dev.apikeys.model.FindConfig;
import dev.apikeys.model.UpdateApiKeyDTO;
import dev.apikeys.revocation.ApiKeysDataConverter;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeApiKeysWorkflowImpl;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.SharedContext;
import dev.apikeys.rotation.Recipient;
import dev.apikeys.rotation.RotateApiKeysWorkflow;
import dev.apikeys.rotation.RotateApiKeysWorkflowImpl;
import dev.apikeys.rotation.RotateRequest;
import dev.apikeys.rotation.RotationResult;
import dev.apikeys.rotation.ValidRotateRequest;
import dev.apikeys.sealing.TokenSeal;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.RevocationStore;
import dev.apikeys.store.RotationStore;
import dev.apikeys.store.TestDatabase;
import dev.apikeys.testing.ApiKeysTestKit;
import dev.apikeys.testing.ClientTestKit;
import dev.apikeys.testing.TestStack;
import io.temporal.api.common.v1.Payload;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.common.converter.RawValue;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.statement.StatementException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * A realistic run of the module, start to end, and then a search of everything it left behind —
 * every log line, every workflow history on the server, every event and revocation row, every error
 * and every result — for the secret material it created: raw secret tokens, their salts, and
 * (stricter than the contract asks) their stored hashes. There must be no hit.
 *
 * <p>Publishable tokens are left out of the search on purpose: they are public by design, stored as
 * they are, and every DTO of a publishable key carries one, in results and in history alike. The
 * one response that may carry a raw secret token, the answer to its creation, is not searched
 * either; it serves instead as the control that the search finds a token where there is one.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NoLeaksTest {
  private static final ObjectMapper JSON = ApiKeysJson.newObjectMapper();

  @RegisterExtension
  static final ApiKeysTestKit kit =
      ClientTestKit.newBuilder()
          .registerWorkflowImplementationTypes(RotateApiKeysWorkflowImpl.class)
          .registerActivities(s -> new RotationActivitiesImpl(s.rotations(), true))
          .doNotStart()
          .build();

  private final LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
  private final Map<String, Level> savedLevels = new LinkedHashMap<>();
  private final List<Appender<ILoggingEvent>> detached = new ArrayList<>();
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  /** Every result the run produced, as JSON; every error it met. */
  private final List<String> results = new ArrayList<>();

  private final List<Throwable> errors = new ArrayList<>();

  /** Tokens that may appear in results, but only sealed anywhere else. */
  private final Map<String, String> sealedOnly = new LinkedHashMap<>();

  private final org.slf4j.Logger log = LoggerFactory.getLogger(NoLeaksTest.class);

  private TestDatabase db;
  private ApiKeyStore keys;
  private ApiKeyModuleService module;
  private TestWorkflowEnvironment env;
  private WorkflowClient client;
  private String taskQueue;

  @BeforeEach
  void setUp(TestStack stack, ApiKeyModuleService module) {
    // Every log line from the worker's start on is searched; the kit leaves the start to us.
    captureEveryLogLine();
    this.env = stack.env();
    this.client = stack.client();
    this.db = stack.db();
    this.keys = stack.keys();
    this.taskQueue = stack.taskQueue();
    this.module = module;
    stack.start();
  }

  @AfterEach
  void tearDown() {
    restoreLogging();
  }

  @Test
  void noSecretTokenOrSaltAppearsAnywhereAfterAFullRun() throws Exception {
    // ---- create -------------------------------------------------------------------------------
    List<ApiKeyDTO> created =
        new ArrayList<>(
            keys.createApiKeys(
                List.of(
                    new CreateApiKeyDTO("by id", "secret", "team-a"),
                    new CreateApiKeyDTO("by selector", "secret", "team-b"),
                    new CreateApiKeyDTO("by selector too", "publishable", "team-b"),
                    new CreateApiKeyDTO("revoked now", "secret", "team-c"))));
    created.add(keys.createApiKey(new CreateApiKeyDTO("cancelled", "secret", "team-d")));
    created.add(keys.createApiKey(new CreateApiKeyDTO("stays active", "secret", "team-e")));
    created.add(keys.createApiKey(new CreateApiKeyDTO("from the cli", "publishable", "team-f")));
    created.add(keys.createApiKey(new CreateApiKeyDTO("storefront", "publishable", "team-g")));
    ApiKeyDTO byId = created.get(0);
    ApiKeyDTO publishableBySelector = created.get(2);
    ApiKeyDTO revokedNow = created.get(3);
    ApiKeyDTO cancelled = created.get(4);
    ApiKeyDTO active = created.get(5);
    ApiKeyDTO fromCli = created.get(6);
    ApiKeyDTO storefront = created.get(7);
    Map<String, String> secrets = secretMaterial(created);

    // ---- revoke, by id and by selector, and change the revocations while they wait -------------
    SharedContext context =
        SharedContext.newBuilder()
            .setRequestId("req-1")
            .setTransactionId("tx-1")
            .setEventGroupId("grp-1")
            .build();
    record(module.revoke(byId.id(), new RevokeApiKeyDTO("alice", 3_600L), context));
    RevocationHandle bySelector =
        module.startRevoke(
            RevokeRequest.ofSelector(
                JSON.readTree("{\"created_by\":\"team-b\"}"),
                new RevokeApiKeyDTO("bob", 7_200L),
                null));
    record(bySelector.scheduled());
    record(bySelector.reschedule(60));
    RevocationHandle now =
        module.startRevoke(
            RevokeRequest.ofId(
                revokedNow.id(),
                new RevokeApiKeyDTO("carol", 86_400L),
                SharedContext.newBuilder().setIdempotencyKey("leaks-now").build()));
    record(now.revokeNow());
    RevocationHandle cancel =
        module.startRevoke(
            RevokeRequest.ofId(cancelled.id(), new RevokeApiKeyDTO("dave", 3_600L), null));
    record(cancel.cancelAndWait(Duration.ofSeconds(30)));
    WorkflowStub cli =
        startAsTheCliDoes(
            "{\"selector\":{\"id\":[\""
                + fromCli.id()
                + "\"]},\"data\":{\"revoked_by\":\"eve\","
                + "\"revoke_in\":60},\"context\":{\"idempotencyKey\":\"leaks-cli\"}}");

    env.sleep(Duration.ofHours(3));
    record(bySelector.await(Duration.ofSeconds(30)));
    record(now.await(Duration.ofSeconds(30)));
    record(cli.getResult(30, TimeUnit.SECONDS, RevokeResult.class));
    record(bySelector.status());
    assertThat(keys.retrieveApiKey(publishableBySelector.id()).revokedBy()).isEqualTo("bob");

    // ---- rotate, the new tokens sealed to a recipient; the recipient opens them -----------------
    ApiKeyDTO toRotate = keys.createApiKey(new CreateApiKeyDTO("rotated", "secret", "team-r"));
    keys.createApiKey(new CreateApiKeyDTO("rotated too", "publishable", "team-r"));
    secrets.putAll(secretMaterialOf(List.of(toRotate)));
    TokenSeal.KeyPair recipientKeys = TokenSeal.newKeyPair();
    Recipient recipient = new Recipient("billing-service", recipientKeys.publicKey());
    RotationResult rotation =
        rotation("leaks-rotation")
            .rotate(
                RotateRequest.ofSelector(
                    JSON.readTree("{\"created_by\":\"team-r\"}"), "rotator", 3_600, recipient));
    record(rotation);
    List<ApiKeyDTO> successors = new ArrayList<>();
    for (RotationResult.Successor s : rotation.successors()) {
      String token = TokenSeal.open(recipientKeys.privateKey(), s.apiKey().id(), s.sealedToken());
      successors.add(s.apiKey().withToken(token));
    }
    ApiKeyDTO newSecret =
        successors.stream().filter(k -> k.token().startsWith("sk_")).findFirst().orElseThrow();
    record(keys.authenticate(newSecret.token()).orElseThrow());
    // The rotation never shows a successor's token in clear, a publishable one included; once
    // its recipient has it, a publishable token is public like any other (the store's results
    // carry it), so that one is searched for everywhere but in results.
    secrets.putAll(secretMaterialOf(List.of(newSecret)));
    successors.stream()
        .filter(k -> k.token().startsWith("pk_"))
        .forEach(k -> sealedOnly.putAll(LeakScan.token("successor " + k.id(), k.token())));
    String rotatedToken = toRotate.token();
    refused(
        ApiKeyErrorType.INVALID_DATA,
        () -> ValidRotateRequest.parse(RotateRequest.ofId(rotatedToken, "x", 60, recipient)));
    refusedWorkflow(
        "rotation of an unknown id",
        ApiKeyErrorType.NOT_FOUND,
        () ->
            rotation("leaks-rotation-unknown")
                .rotate(RotateRequest.ofId("apk_unknown", "x", 60, recipient)));
    refusedWorkflow(
        "rotation of a revoked key",
        ApiKeyErrorType.INVALID_DATA,
        () ->
            rotation("leaks-rotation-revoked")
                .rotate(RotateRequest.ofId(revokedNow.id(), "x", 60, recipient)));
    refusedWorkflow(
        "rotation by someone with a NUL",
        ApiKeyErrorType.INVALID_DATA,
        () ->
            rotation("leaks-rotation-nul")
                .rotate(RotateRequest.ofId(active.id(), "x\0y", 60, recipient)));

    // ---- revoke leaked tokens: the operator holds the raw token, not the id ---------------------
    ApiKeyDTO leaked = keys.createApiKey(new CreateApiKeyDTO("leaked", "secret", "team-l"));
    ApiKeyDTO leakedToo = keys.createApiKey(new CreateApiKeyDTO("leaked too", "secret", "team-l"));
    secrets.putAll(secretMaterialOf(List.of(leaked, leakedToo)));
    LeakedTokenAnswer leakedAnswer =
        module.revokeLeakedToken(
            leaked.token(),
            RevokeApiKeyDTO.now("security"),
            SharedContext.newBuilder().setIdempotencyKey("leaks-leaked").build());
    record(leakedAnswer);
    assertThat(leakedAnswer.outcome()).isEqualTo(LeakedTokenAnswer.Outcome.REVOKED);
    LeakedTokensAnswer leakedAnswers =
        module.revokeLeakedToken(
            List.of(leakedToo.token(), "sk_" + "0".repeat(64), "not a token", storefront.token()),
            new RevokeApiKeyDTO("security", 60L),
            null);
    record(leakedAnswers);
    assertThat(leakedAnswers.revocation().keyCount()).isEqualTo(1);
    record(module.revocation(leakedAnswer.revocation().workflowId()).await(Duration.ofSeconds(30)));
    String leakedToken = leaked.token();
    refused(
        ApiKeyErrorType.INVALID_DATA,
        () -> module.revokeLeakedToken(leakedToken, RevokeApiKeyDTO.now(" "), null));

    // ---- refusals -----------------------------------------------------------------------------
    // The database's clock did not skip the three hours, so a key revoked by Medusa itself is the
    // one that is already revoked as far as PostgreSQL can tell.
    db.jdbi()
        .useHandle(
            h ->
                h.execute(
                    "update api_key set revoked_at = now() - interval '1"
                        + " minute', revoked_by = 'medusa' where id = ?",
                    cancelled.id()));
    String activeToken = active.token();
    refused(
        ApiKeyErrorType.INVALID_DATA,
        () -> module.revoke(cancelled.id(), RevokeApiKeyDTO.now("x"), null));
    refused(
        ApiKeyErrorType.INVALID_DATA,
        () ->
            module.revoke(
                FilterableApiKeyProps.where("token", activeToken), RevokeApiKeyDTO.now("x"), null));
    refused(
        ApiKeyErrorType.INVALID_DATA,
        () -> module.revoke(activeToken, RevokeApiKeyDTO.now("x"), null));
    refused(
        ApiKeyErrorType.NOT_FOUND,
        () -> module.revoke("apk_unknown", RevokeApiKeyDTO.now("x"), null));
    refused(ApiKeyErrorType.NOT_ALLOWED, () -> bySelector.reschedule(60));
    refused(
        ApiKeyErrorType.CONFLICT,
        () ->
            module.startRevoke(
                RevokeRequest.ofId(
                    active.id(),
                    RevokeApiKeyDTO.now("mallory"),
                    SharedContext.newBuilder().setIdempotencyKey("leaks-now").build())));
    refused(
        ApiKeyErrorType.INVALID_DATA,
        () -> keys.listApiKeys(JSON.readTree("{\"token\":\"" + activeToken + "\"}"), null));
    refused(
        ApiKeyErrorType.INVALID_DATA,
        () -> keys.listApiKeys(JSON.readTree("{\"title\":{\"$re\":\"(\"}}"), null));
    refused(ApiKeyErrorType.NOT_FOUND, () -> keys.retrieveApiKey("apk_unknown"));
    refused(
        ApiKeyErrorType.NOT_FOUND,
        () -> keys.updateApiKey("apk_unknown", new UpdateApiKeyDTO("t")));
    refused(
        ApiKeyErrorType.INVALID_DATA,
        () -> keys.createApiKey(new CreateApiKeyDTO("t", "root", "u")));
    refused(
        ApiKeyErrorType.NOT_ALLOWED,
        () -> keys.deleteApiKeys(List.of(cancelled.id(), active.id())));
    WorkflowStub badCli =
        startAsTheCliDoes(
            "{\"id\":\""
                + active.id()
                + "\",\"data\":{\"revoked_by\":\"u\",\"revoke_in\":\"60\"}}");
    errors.add(catchThrowable(() -> badCli.getResult(30, TimeUnit.SECONDS, RevokeResult.class)));
    log.warn("refused from the CLI", errors.get(errors.size() - 1));
    keys.deleteApiKeys(List.of(cancelled.id()));

    // ---- authenticate, good tokens and bad
    // --------------------------------------------------------
    record(keys.authenticate(activeToken).orElseThrow());
    // A publishable key never authenticates; it is looked up by its token.
    assertThat(keys.authenticate(storefront.token())).isEmpty();
    record(keys.listApiKeys(JSON.readTree("{\"token\":\"" + storefront.token() + "\"}"), null));
    String wrong =
        activeToken.substring(0, activeToken.length() - 1)
            + (activeToken.endsWith("0") ? "1" : "0");
    for (String bad :
        List.of(
            wrong,
            cancelled.token(),
            "sk_" + "0".repeat(64),
            "pk_" + activeToken.substring(3),
            activeToken + "x")) {
      assertThat(keys.authenticate(bad)).isEmpty();
    }

    // ---- list, count, retrieve, update ----------------------------------------------------------
    record(keys.listAndCountApiKeys(null, FindConfig.page(0, 100)));
    record(keys.retrieveApiKey(active.id()));
    record(keys.updateApiKey(active.id(), new UpdateApiKeyDTO("renamed")));

    // ---- a unique violation, with secret material among the bound values -----------------------
    String activeSalt = secrets.get("salt of " + active.id());
    String activeHash = secrets.get("hash of " + active.id());
    for (String id : List.of(active.id(), "apk_fresh")) {
      StatementException violation =
          (StatementException)
              catchThrowable(
                  () ->
                      db.jdbi()
                          .useHandle(
                              h ->
                                  h.createUpdate(
                                          "insert into api_key (id, token, salt, redacted, title, type, created_by)"
                                              + " values (:id, :token, :salt, 'r', :title, 'secret', :createdBy)")
                                      .bind("id", id)
                                      .bind("token", activeHash)
                                      .bind("salt", activeSalt)
                                      .bind("title", activeToken)
                                      .bind("createdBy", "bound-value-marker")
                                      .execute()));
      assertThat(violation).isNotNull();
      String rendered = stackTrace(violation);
      assertThat(rendered)
          .as("statement errors are rendered without bound values")
          .doesNotContain("bound-value-marker", activeToken, activeSalt, activeHash);
      errors.add(violation);
      log.error("insert failed", violation);
    }

    // ---- search ---------------------------------------------------------------------------------
    Map<String, String> haystacks = new LinkedHashMap<>();
    haystacks.put("log lines", capturedLogs());
    haystacks.putAll(histories());
    haystacks.put("apikeys_event rows", rows("apikeys_event"));
    haystacks.put("apikeys_revocation rows", rows("apikeys_revocation"));
    haystacks.put("apikeys_revocation_key rows", rows("apikeys_revocation_key"));
    haystacks.put("apikeys_rotation rows", rows("apikeys_rotation"));
    haystacks.put("apikeys_rotation_key rows", rows("apikeys_rotation_key"));
    haystacks.put(
        "error messages", errors.stream().map(NoLeaksTest::stackTrace).reduce("", String::concat));
    haystacks.put("results", String.join("\n", results));

    // Controls: the search finds a token where one is, and reads what it claims to read.
    assertThat(JSON.writeValueAsString(created)).contains(activeToken);
    assertThat(haystacks.keySet()).anyMatch(where -> where.startsWith("history of revoke-"));
    assertThat(
            haystacks.entrySet().stream()
                .filter(
                    h -> h.getKey().startsWith("history of") && h.getValue().contains("\"bob\"")))
        .as("history payloads are decoded before the search")
        .isNotEmpty();
    assertThat(String.join("", haystacks.values())).contains(publishableBySelector.token());
    assertThat(haystacks.get("log lines")).contains("scheduled at");
    assertThat(haystacks.get("apikeys_event rows"))
        .contains("api_key.revoked")
        .contains("api_key.rotated")
        .contains(rotation.successors().get(0).sealedToken().enc());
    assertThat(haystacks.keySet()).anyMatch(where -> where.startsWith("history of leaks-rotation"));
    assertThat(haystacks.entrySet())
        .as("the leaked token's revocation is searched")
        .anyMatch(
            h ->
                h.getKey().startsWith("history of revoke-apikeys-leaks-leaked ")
                    && h.getValue().contains(leaked.id()));
    assertThat(haystacks.get("apikeys_event rows")).contains("\"reason\": \"leaked\"");
    assertThat(errors).hasSizeGreaterThanOrEqualTo(18);

    assertThat(LeakScan.hits(haystacks, secrets))
        .as("secret material found (named, never printed)")
        .isEmpty();
    haystacks.remove("results");
    assertThat(sealedOnly).isNotEmpty();
    assertThat(LeakScan.hits(haystacks, sealedOnly))
        .as("a successor's token found in clear (named, never printed)")
        .isEmpty();
  }

  /**
   * Issue 14, finding 3: with the codec on, a refusal's message (which names what was wrong with
   * the request) is encrypted in history like every payload; the caller reads it as sent.
   */
  @Test
  void withTheCodecFailureMessagesAreEncryptedInHistory() throws Exception {
    PayloadKeys codecKeys =
        PayloadKeys.parse("k1:" + Base64.getEncoder().encodeToString(new byte[32]));
    TestWorkflowEnvironment encrypted =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setWorkflowClientOptions(
                    WorkflowClientOptions.newBuilder()
                        .setDataConverter(ApiKeysDataConverter.newDataConverter(codecKeys))
                        .build())
                .build());
    try {
      Worker w = encrypted.newWorker(RevocationNames.TASK_QUEUE);
      w.registerWorkflowImplementationTypes(
          RevokeApiKeysWorkflowImpl.class, RotateApiKeysWorkflowImpl.class);
      w.registerActivitiesImplementations(
          new RevocationActivitiesImpl(new RevocationStore(db.jdbi(), Duration.ofSeconds(5))),
          new RotationActivitiesImpl(new RotationStore(db.jdbi(), Duration.ofSeconds(5)), true));
      encrypted.start();
      WorkflowClient c = encrypted.getWorkflowClient();
      String marker = "apk_private_marker_of_a_refusal";
      RotateApiKeysWorkflow rotate =
          c.newWorkflowStub(
              RotateApiKeysWorkflow.class,
              WorkflowOptions.newBuilder()
                  .setTaskQueue(RevocationNames.TASK_QUEUE)
                  .setWorkflowId("encrypted-refusal")
                  .build());

      Throwable thrown =
          catchThrowable(
              () ->
                  rotate.rotate(
                      RotateRequest.ofId(
                          marker,
                          "ops",
                          60,
                          new Recipient(null, TokenSeal.newKeyPair().publicKey()))));

      assertThat(thrown.getCause())
          .isInstanceOfSatisfying(
              ApplicationFailure.class,
              f -> {
                assertThat(f.getType()).isEqualTo("NOT_FOUND");
                assertThat(f.getOriginalMessage())
                    .isEqualTo("ApiKey with id \"" + marker + "\" not found");
              });
      WorkflowExecutionHistory history = c.fetchHistory("encrypted-refusal");
      String raw = LeakScan.text(history);
      assertThat(raw).contains("Encoded failure").doesNotContain(marker);
      assertThat(history.getEvents())
          .anyMatch(
              e ->
                  e.hasActivityTaskFailedEventAttributes()
                      && e.getActivityTaskFailedEventAttributes()
                          .getFailure()
                          .getMessage()
                          .equals("Encoded failure"));
    } finally {
      encrypted.close();
    }
  }

  // ---- the run --------------------------------------------------------------------------------

  /**
   * What must never leave the store: each secret key's raw token (also without its prefix), its
   * salt and its stored hash, named by key so that a failure says where without saying what.
   */
  private Map<String, String> secretMaterial(List<ApiKeyDTO> created) {
    Map<String, String> secrets = new LinkedHashMap<>();
    created.stream()
        .filter(k -> k.token().startsWith("sk_"))
        .forEach(
            k -> {
              secrets.put("raw token of " + k.id(), k.token());
              secrets.put("raw token body of " + k.id(), k.token().substring(3));
            });
    db.jdbi()
        .useHandle(
            h ->
                h.createQuery("select id, salt, token from api_key where type = 'secret'")
                    .map(
                        (rs, ctx) ->
                            Map.entry(
                                rs.getString("id"),
                                List.of(rs.getString("salt"), rs.getString("token"))))
                    .forEach(
                        row -> {
                          secrets.put("salt of " + row.getKey(), row.getValue().get(0));
                          secrets.put("hash of " + row.getKey(), row.getValue().get(1));
                        }));
    assertThat(secrets).hasSize(5 * 4);
    return secrets;
  }

  /** The salt and stored hash of these secret keys, named by key. */
  private Map<String, String> secretMaterialOf(List<ApiKeyDTO> secretKeys) {
    Map<String, String> secrets = new LinkedHashMap<>();
    for (ApiKeyDTO key : secretKeys) {
      db.jdbi()
          .useHandle(
              h ->
                  h.createQuery("select salt, token from api_key where id = :id")
                      .bind("id", key.id())
                      .map((rs, ctx) -> List.of(rs.getString("salt"), rs.getString("token")))
                      .forEach(
                          row -> {
                            secrets.put("salt of " + key.id(), row.get(0));
                            secrets.put("hash of " + key.id(), row.get(1));
                          }));
      if (key.token().startsWith("sk_")) {
        secrets.put("raw token of " + key.id(), key.token());
        secrets.put("raw token body of " + key.id(), key.token().substring(3));
      }
    }
    return secrets;
  }

  private RotateApiKeysWorkflow rotation(String workflowId) {
    return client.newWorkflowStub(
        RotateApiKeysWorkflow.class,
        WorkflowOptions.newBuilder().setTaskQueue(taskQueue).setWorkflowId(workflowId).build());
  }

  /** A workflow's refusal as its caller sees it (typed), logged as a careful caller would. */
  private void refusedWorkflow(String what, ApiKeyErrorType type, ThrowingCall call) {
    Throwable thrown = catchThrowable(call::run);
    assertThat(thrown).as(what).isInstanceOf(WorkflowFailedException.class);
    assertThat(thrown.getCause())
        .as(what)
        .isInstanceOfSatisfying(
            ApplicationFailure.class, f -> assertThat(f.getType()).isEqualTo(type.name()));
    errors.add(thrown);
    log.warn("workflow refused: " + what, thrown);
  }

  private void record(Object result) throws JsonProcessingException {
    results.add(JSON.writeValueAsString(result));
  }

  /** A refusal as the caller sees it; logged, as a careful application would log it. */
  private void refused(ApiKeyErrorType type, ThrowingCall call) {
    Throwable thrown = catchThrowable(call::run);
    assertThat(thrown)
        .isInstanceOfSatisfying(
            ApiKeyException.class, e -> assertThat(e.getType()).isEqualTo(type));
    errors.add(thrown);
    log.warn("request refused", thrown);
  }

  @FunctionalInterface
  private interface ThrowingCall {
    void run() throws Exception;
  }

  private WorkflowStub startAsTheCliDoes(String json) {
    WorkflowStub stub =
        client.newUntypedWorkflowStub(
            RevocationNames.WORKFLOW_TYPE,
            WorkflowOptions.newBuilder()
                .setTaskQueue(taskQueue)
                .setWorkflowId("cli-" + System.nanoTime())
                .build());
    stub.start(
        new RawValue(
            Payload.newBuilder()
                .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
                .setData(ByteString.copyFromUtf8(json))
                .build()));
    return stub;
  }

  // ---- where secrets could go -----------------------------------------------------------------

  /** Every run of every workflow the server knows, payloads decoded (see {@link LeakScan}). */
  private Map<String, String> histories() {
    Map<String, String> histories = LeakScan.histories(client);
    assertThat(histories).hasSizeGreaterThanOrEqualTo(12);
    return histories;
  }

  private String rows(String table) {
    List<String> rows =
        db.jdbi()
            .withHandle(
                h ->
                    h.createQuery("select cast(to_jsonb(t) as text) from " + table + " t")
                        .mapTo(String.class)
                        .list());
    return String.join("\n", rows);
  }

  private String capturedLogs() {
    List<ILoggingEvent> events;
    // The appender adds under its own lock, and workers may still be logging.
    synchronized (logs) {
      events = new ArrayList<>(logs.list);
    }
    StringBuilder text = new StringBuilder();
    for (ILoggingEvent event : events) {
      text.append(event.getLoggerName())
          .append(' ')
          .append(event.getFormattedMessage())
          .append(' ')
          .append(event.getMDCPropertyMap())
          .append('\n');
      if (event.getThrowableProxy() != null) {
        text.append(ThrowableProxyUtil.asString(event.getThrowableProxy())).append('\n');
      }
    }
    assertThat(events).hasSizeGreaterThan(50);
    return text.toString();
  }

  private static String stackTrace(Throwable t) {
    StringWriter out = new StringWriter();
    t.printStackTrace(new PrintWriter(out));
    return out.toString();
  }

  // ---- logging --------------------------------------------------------------------------------

  /**
   * Every logger at DEBUG into a list for the length of the test, and the console quiet: more is
   * logged than usual on purpose, because a leak may sit in a line nobody reads at INFO.
   */
  private void captureEveryLogLine() {
    Logger root = logging.getLogger(Logger.ROOT_LOGGER_NAME);
    for (Logger logger : logging.getLoggerList()) {
      if (logger.getLevel() != null) {
        savedLevels.put(logger.getName(), logger.getLevel());
        logger.setLevel(Level.DEBUG);
      }
    }
    root.iteratorForAppenders().forEachRemaining(detached::add);
    detached.forEach(root::detachAppender);
    logs.setContext(logging);
    logs.start();
    root.addAppender(logs);
  }

  private void restoreLogging() {
    Logger root = logging.getLogger(Logger.ROOT_LOGGER_NAME);
    root.detachAppender(logs);
    logs.stop();
    detached.forEach(root::addAppender);
    savedLevels.forEach((name, level) -> logging.getLogger(name).setLevel(level));
  }
}
