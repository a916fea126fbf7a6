package dev.apikeys.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.revocation.RevocationNames;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.HistoryEventFilterType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionDescription;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.common.converter.RawValue;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * docs/semantics.md and README.md's "From the Temporal CLI": the workflow driven the way the
 * Temporal CLI drives it. {@code temporal workflow start/execute --input '<json>'} and {@code
 * temporal workflow update execute --input '<json>'} send the text as one payload with {@code
 * encoding: json/plain} and the UTF-8 bytes as data, name the workflow, query and updates by their
 * type strings, and send no payload at all when there is no {@code --input}; {@code temporal
 * workflow query/result/describe} print the raw JSON that comes back. This test does exactly that
 * through untyped stubs against the port-bound test server, so no Java type of this project helps
 * either way, and it checks that every JSON the README's section sends is one it sends here.
 */
class CliJsonContractTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  // The JSON of the README's command lines, character for character. In the tests "apk_123" is
  // replaced by a real key's id and "rk-1" by a fresh idempotency key.
  static final String README_KEY_ID = "apk_123";
  static final String README_IDEMPOTENCY_KEY = "rk-1";

  /** {@code temporal workflow start --workflow-id revoke-apikeys-rk-1 … --input '…'}. */
  static final String START_BY_SELECTOR =
      "{\"selector\":{\"id\":\"apk_123\"},\"data\":{\"revoked_by\":\"user_123\",\"revoke_in\":60},"
          + "\"context\":{\"idempotencyKey\":\"rk-1\"}}";

  /** {@code temporal workflow start … --input '…'}: the single-key overload, a grace hour. */
  static final String START_BY_ID =
      "{\"id\":\"apk_123\",\"data\":{\"revoked_by\":\"user_123\",\"revoke_in\":3600}}";

  /** {@code temporal workflow execute … --input '…'}: revoke at once and wait for the result. */
  static final String EXECUTE_BY_ID =
      "{\"id\":\"apk_123\",\"data\":{\"revoked_by\":\"user_123\",\"revoke_in\":0}}";

  /** {@code temporal workflow update execute --name reschedule --input '…'}. */
  static final String RESCHEDULE = "{\"revoke_in\":30}";

  private static final Path README = Path.of("..", "README.md").toAbsolutePath().normalize();
  private static final String README_SECTION = "### From the Temporal CLI";

  private static RevocationStack stack;
  private static WorkflowClient client;

  @BeforeAll
  static void start() {
    stack = RevocationStack.start().withWorker();
    client = stack.client.client();
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  /**
   * The README's selector walk-through: start, query status, reschedule, revoke now, result and
   * describe; then the same idempotency key under a workflow id the CLI picked.
   */
  @Test
  @Timeout(60)
  void bySelectorStatusRescheduleRevokeNowResultAndDescribe() throws Exception {
    ApiKeyDTO key = createKey("cli-selector");
    String idempotencyKey = "rk-" + UUID.randomUUID();
    String input = readmeJson(START_BY_SELECTOR, key, idempotencyKey);
    String workflowId = RevocationNames.workflowIdFor(idempotencyKey);

    // temporal workflow start --workflow-id revoke-apikeys-rk-1 --task-queue api-keys
    //   --type RevokeApiKeysWorkflow --input '<START_BY_SELECTOR>'
    WorkflowStub stub = start(workflowId, input);
    System.out.println("CLI sends:    " + input);
    assertStartPayloadIs(workflowId, input);

    // temporal workflow query --workflow-id revoke-apikeys-rk-1 --name status
    JsonNode status = awaitScheduled(stub);
    System.out.println("query status answers: " + status);
    assertThat(status.get("state").asText()).isEqualTo("scheduled");
    assertThat(status.get("revocation_id").asText()).startsWith("rvk_");
    assertThat(status.get("key_count").asLong()).isEqualTo(1);
    assertThat(status.get("revoked_by").asText()).isEqualTo("user_123");
    Instant first = Instant.parse(status.get("scheduled_at").asText());
    assertThat(Duration.between(Instant.now(), first))
        .isBetween(Duration.ofSeconds(45), Duration.ofSeconds(60));
    assertThat(stack.store().authenticate(key.token())).isPresent();

    // temporal workflow update execute --workflow-id revoke-apikeys-rk-1 --name reschedule
    //   --input '{"revoke_in":30}'
    String moved = raw(stub.update("reschedule", RawValue.class, json(RESCHEDULE)));
    System.out.println("update reschedule " + RESCHEDULE + " answers: " + moved);
    JsonNode rescheduled = JSON.readTree(moved);
    assertThat(rescheduled.get("state").asText()).isEqualTo("scheduled");
    assertThat(rescheduled.get("revocation_id").asText())
        .isEqualTo(status.get("revocation_id").asText());
    Instant second = Instant.parse(rescheduled.get("scheduled_at").asText());
    assertThat(second).isBefore(first);
    assertThat(Duration.between(Instant.now(), second))
        .isBetween(Duration.ofSeconds(20), Duration.ofSeconds(30));
    assertThat(
            JSON.readTree(raw(stub.query("status", RawValue.class))).get("scheduled_at").asText())
        .isEqualTo(rescheduled.get("scheduled_at").asText());

    // A wrongly typed revoke_in is refused by the validator, before the update reaches history,
    // with the refusal's own type (Temporal's Java SDK up to 1.38.0 replaced it with its
    // wrapper's, temporalio/sdk-java#2875; 1.39.0 keeps it).
    assertThatThrownBy(
            () -> stub.update("reschedule", RawValue.class, json("{\"revoke_in\": \"30\"}")))
        .isInstanceOf(WorkflowUpdateException.class)
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getOriginalMessage())
                  .isEqualTo("revoke_in: expected a whole number of seconds, got string");
              assertThat(failure.getType()).isEqualTo("INVALID_DATA");
            });

    // temporal workflow update execute --workflow-id revoke-apikeys-rk-1 --name revokeNow
    // (no --input: the CLI sends no payload)
    String now = raw(stub.update("revokeNow", RawValue.class));
    System.out.println("update revokeNow answers: " + now);
    JsonNode revokedNow = JSON.readTree(now);
    assertThat(revokedNow.get("revocation_id").asText())
        .isEqualTo(status.get("revocation_id").asText());
    assertThat(Instant.parse(revokedNow.get("scheduled_at").asText())).isBefore(second);

    // temporal workflow result --workflow-id revoke-apikeys-rk-1
    String result = resultOf(stub);
    System.out.println("result: " + result);
    assertThat(closeEventResult(workflowId)).isEqualTo(result);
    JsonNode json = JSON.readTree(result);
    assertThat(result).doesNotContain("salt");
    assertThat(json.get("revocation_id").asText()).isEqualTo(status.get("revocation_id").asText());
    assertThat(json.get("workflow_id").asText()).isEqualTo(workflowId);
    assertThat(json.get("status").asText()).isEqualTo("revoked");
    assertThat(json.get("revoked_by").asText()).isEqualTo("user_123");
    assertThat(json.get("scheduled_at").asText())
        .isEqualTo(revokedNow.get("scheduled_at").asText());
    assertThat(Instant.parse(json.get("scheduled_at").asText())).isBefore(Instant.now());
    assertThat(json.get("key_count").asLong()).isEqualTo(1);
    assertThat(json.get("truncated").asBoolean()).isFalse();
    assertThat(json.has("duplicate_of")).isFalse();
    JsonNode revoked = json.get("api_keys").get(0);
    assertThat(revoked.get("id").asText()).isEqualTo(key.id());
    assertThat(revoked.get("revoked_by").asText()).isEqualTo("user_123");
    assertThat(revoked.get("revoked_at").asText()).isEqualTo(json.get("scheduled_at").asText());
    assertThat(revoked.get("token").asText()).isEmpty();
    assertThat(revoked.has("salt")).isFalse();
    assertThat(stack.store().authenticate(key.token())).isEmpty();

    // temporal workflow describe --workflow-id revoke-apikeys-rk-1
    assertDescribed(stub, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);

    // The status query still answers once the workflow has closed.
    assertThat(JSON.readTree(raw(stub.query("status", RawValue.class))).get("state").asText())
        .isEqualTo("revoked");

    // The same JSON without --workflow-id: the CLI picks an id of its own; the idempotency key
    // still holds.
    WorkflowStub again = start("cli-" + UUID.randomUUID(), input);
    String duplicateResult = resultOf(again);
    System.out.println("result for the same idempotencyKey: " + duplicateResult);
    JsonNode duplicate = JSON.readTree(duplicateResult);
    assertThat(duplicate.get("duplicate_of").asText()).isEqualTo(workflowId);
    assertThat(duplicate.get("revocation_id").asText())
        .isEqualTo(json.get("revocation_id").asText());
    assertThat(duplicate.get("scheduled_at").asText()).isEqualTo(json.get("scheduled_at").asText());
    assertThat(rows("apikeys_revocation", "idempotency_key", idempotencyKey)).isEqualTo(1);
    assertThat(rows("apikeys_event", "api_key_id", key.id())).isEqualTo(1);
  }

  /** The README's id walk-through: start with a grace hour, query status, cancel, result. */
  @Test
  @Timeout(60)
  void byIdThenCancelRestoresTheKey() throws Exception {
    ApiKeyDTO key = createKey("cli-id");
    String input = readmeJson(START_BY_ID, key, null);
    String workflowId = "cli-" + UUID.randomUUID();

    // temporal workflow start --task-queue api-keys --type RevokeApiKeysWorkflow
    //   --input '<START_BY_ID>'
    WorkflowStub stub = start(workflowId, input);
    assertStartPayloadIs(workflowId, input);

    // temporal workflow query --workflow-id <id> --name status
    JsonNode status = awaitScheduled(stub);
    assertThat(status.get("key_count").asLong()).isEqualTo(1);
    assertThat(status.get("revoked_by").asText()).isEqualTo("user_123");
    assertThat(Duration.between(Instant.now(), Instant.parse(status.get("scheduled_at").asText())))
        .isBetween(Duration.ofSeconds(3590), Duration.ofSeconds(3600));
    assertThat(stack.store().retrieveApiKey(key.id()).revokedAt()).isNotNull();
    assertThat(stack.store().authenticate(key.token())).isPresent();

    // temporal workflow cancel --workflow-id <id>
    stub.cancel();

    // temporal workflow result --workflow-id <id>: Status CANCELED, exit code 1
    assertThatThrownBy(() -> stub.getResult(30, TimeUnit.SECONDS, RawValue.class))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOf(CanceledFailure.class);
    assertThat(closeEventType(workflowId))
        .isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED);

    // temporal workflow describe --workflow-id <id>
    assertDescribed(stub, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED);

    JsonNode after = JSON.readTree(raw(stub.query("status", RawValue.class)));
    System.out.println("query status after cancel answers: " + after);
    assertThat(after.get("state").asText()).isEqualTo("cancelled");
    assertThat(after.get("revocation_id").asText()).isEqualTo(status.get("revocation_id").asText());

    // The key is as if the revocation had never been asked for.
    ApiKeyDTO restored = stack.store().retrieveApiKey(key.id());
    assertThat(restored.revokedAt()).isNull();
    assertThat(restored.revokedBy()).isNull();
    assertThat(stack.store().authenticate(key.token())).isPresent();
    assertThat(rows("apikeys_event", "api_key_id", key.id())).isZero();
  }

  /** {@code temporal workflow execute} with revoke_in 0: starts, waits, prints the result. */
  @Test
  @Timeout(60)
  void executeByIdRevokesAtOnce() throws Exception {
    ApiKeyDTO key = createKey("cli-execute");
    String input = readmeJson(EXECUTE_BY_ID, key, null);
    String workflowId = "cli-" + UUID.randomUUID();

    WorkflowStub stub = start(workflowId, input);
    String result = resultOf(stub);
    System.out.println("execute prints Result: " + result);
    assertStartPayloadIs(workflowId, input);
    assertThat(closeEventResult(workflowId)).isEqualTo(result);

    JsonNode json = JSON.readTree(result);
    assertThat(json.get("status").asText()).isEqualTo("revoked");
    assertThat(json.get("workflow_id").asText()).isEqualTo(workflowId);
    assertThat(json.get("api_keys").get(0).get("id").asText()).isEqualTo(key.id());
    assertThat(json.get("api_keys").get(0).get("revoked_by").asText()).isEqualTo("user_123");
    assertThat(result).doesNotContain("salt");
    assertThat(stack.store().authenticate(key.token())).isEmpty();
    assertDescribed(stub, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);
  }

  @Test
  @Timeout(60)
  void anUnknownIdFailsTheWorkflowWithTypedNotFound() {
    String input =
        "{\"id\":\"apk_missing\",\"data\":{\"revoked_by\":\"user_123\",\"revoke_in\":1}}";
    WorkflowStub stub = start("cli-" + UUID.randomUUID(), input);

    assertThatThrownBy(() -> stub.getResult(30, TimeUnit.SECONDS, RawValue.class))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("NOT_FOUND");
              assertThat(failure.getOriginalMessage())
                  .isEqualTo("ApiKey with id \"apk_missing\" not found");
              assertThat(failure.isNonRetryable()).isTrue();
            });
    assertThat(closeEventType(stub.getExecution().getWorkflowId()))
        .isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);
    assertThat(rows("apikeys_revocation", "workflow_id", stub.getExecution().getWorkflowId()))
        .isZero();
  }

  /**
   * Every {@code --input} in the README's section is one of the JSON strings sent above, every
   * {@code --name} one of the handlers exercised above, and the JSON the section shows as output
   * has exactly the fields the workflow returns.
   */
  @Test
  @Timeout(120)
  void theReadmeSectionSendsOnlyTheJsonTestedHere() throws Exception {
    String section = readmeSection();

    Set<String> inputs = new LinkedHashSet<>(matches(section, "--input '([^']*)'"));
    assertThat(inputs)
        .containsExactlyInAnyOrder(START_BY_SELECTOR, START_BY_ID, EXECUTE_BY_ID, RESCHEDULE);
    assertThat(new TreeSet<>(matches(section, "--name (\\w+)")))
        .containsExactlyInAnyOrder(
            RevocationNames.QUERY_STATUS,
            RevocationNames.UPDATE_REVOKE_NOW,
            RevocationNames.UPDATE_RESCHEDULE);
    assertThat(new TreeSet<>(matches(section, "--type (\\w+)")))
        .containsExactly(RevocationNames.WORKFLOW_TYPE);
    assertThat(new TreeSet<>(matches(section, "--task-queue ([\\w-]+)")))
        .containsExactly(RevocationNames.TASK_QUEUE);
    assertThat(section)
        .contains(
            "temporal workflow start ",
            "temporal workflow execute ",
            "temporal workflow query ",
            "temporal workflow update execute ",
            "temporal workflow cancel ",
            "temporal workflow result ",
            "temporal workflow describe ",
            "clients/node/revoke.mjs");

    // The output shapes the section shows are the real ones.
    ApiKeyDTO key = createKey("cli-readme");
    WorkflowStub stub = start("cli-" + UUID.randomUUID(), readmeJson(EXECUTE_BY_ID, key, null));
    JsonNode result = JSON.readTree(resultOf(stub));
    JsonNode status = JSON.readTree(raw(stub.query("status", RawValue.class)));
    JsonNode shownResult = JSON.readTree(jsonAfter(section, "  Result  "));
    JsonNode shownStatus = JSON.readTree(jsonAfter(section, "QueryResult  "));
    assertThat(fieldNames(shownResult)).isEqualTo(fieldNames(result));
    assertThat(fieldNames(shownResult.get("api_keys").get(0)))
        .isEqualTo(fieldNames(result.get("api_keys").get(0)));
    assertThat(fieldNames(shownStatus)).isEqualTo(fieldNames(status));
  }

  private ApiKeyDTO createKey(String title) {
    return stack.store().createApiKey(new CreateApiKeyDTO(title, "secret", "user_1"));
  }

  /** The README's JSON with its placeholders replaced; nothing else of the text changes. */
  private static String readmeJson(String readme, ApiKeyDTO key, String idempotencyKey) {
    String text = readme.replace("\"" + README_KEY_ID + "\"", "\"" + key.id() + "\"");
    if (idempotencyKey != null) {
      text = text.replace("\"" + README_IDEMPOTENCY_KEY + "\"", "\"" + idempotencyKey + "\"");
    }
    return text;
  }

  /** Starts the workflow by its type name with the input as one json/plain payload. */
  private static WorkflowStub start(String workflowId, String input) {
    WorkflowStub stub =
        client.newUntypedWorkflowStub(
            RevocationNames.WORKFLOW_TYPE,
            WorkflowOptions.newBuilder()
                .setWorkflowId(workflowId)
                .setTaskQueue(stack.temporal.taskQueue())
                .build());
    stub.start(json(input));
    return stub;
  }

  /** The payload in history is byte for byte what the CLI sent. */
  private static void assertStartPayloadIs(String workflowId, String input) {
    HistoryEvent started = client.fetchHistory(workflowId).getEvents().get(0);
    Payloads payloads = started.getWorkflowExecutionStartedEventAttributes().getInput();
    assertThat(payloads.getPayloadsCount()).isEqualTo(1);
    Payload recorded = payloads.getPayloads(0);
    assertThat(recorded.getMetadataOrThrow("encoding").toStringUtf8()).isEqualTo("json/plain");
    assertThat(recorded.getData().toStringUtf8()).isEqualTo(input);
  }

  private static RawValue json(String text) {
    return new RawValue(
        Payload.newBuilder()
            .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
            .setData(ByteString.copyFrom(text.getBytes(StandardCharsets.UTF_8)))
            .build());
  }

  private static String resultOf(WorkflowStub stub) throws Exception {
    return raw(stub.getResult(30, TimeUnit.SECONDS, RawValue.class));
  }

  private static String raw(RawValue value) {
    return raw(value.getPayload());
  }

  private static String raw(Payload payload) {
    assertThat(payload.getMetadataOrThrow("encoding").toStringUtf8()).isEqualTo("json/plain");
    return payload.getData().toStringUtf8();
  }

  /**
   * The close event, read as {@code temporal workflow result} and {@code describe} read it: the
   * history filtered to its close event, waiting for it.
   */
  private static HistoryEvent closeEvent(String workflowId) {
    Iterator<HistoryEvent> events =
        client
            .getWorkflowServiceStubs()
            .blockingStub()
            .getWorkflowExecutionHistory(
                GetWorkflowExecutionHistoryRequest.newBuilder()
                    .setNamespace(client.getOptions().getNamespace())
                    .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId))
                    .setHistoryEventFilterType(
                        HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
                    .setWaitNewEvent(true)
                    .build())
            .getHistory()
            .getEventsList()
            .iterator();
    assertThat(events.hasNext()).as("close event of %s", workflowId).isTrue();
    return events.next();
  }

  private static EventType closeEventType(String workflowId) {
    return closeEvent(workflowId).getEventType();
  }

  /** What {@code temporal workflow result} prints after {@code Result}: the one payload's JSON. */
  private static String closeEventResult(String workflowId) {
    HistoryEvent close = closeEvent(workflowId);
    assertThat(close.getEventType()).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    Payloads result = close.getWorkflowExecutionCompletedEventAttributes().getResult();
    assertThat(result.getPayloadsCount()).isEqualTo(1);
    return raw(result.getPayloads(0));
  }

  private static void assertDescribed(WorkflowStub stub, WorkflowExecutionStatus status) {
    WorkflowExecutionDescription description = stub.describe();
    assertThat(description.getWorkflowType()).isEqualTo(RevocationNames.WORKFLOW_TYPE);
    assertThat(description.getTaskQueue()).isEqualTo(RevocationNames.TASK_QUEUE);
    assertThat(description.getStatus()).isEqualTo(status);
    assertThat(description.getCloseTime()).isNotNull();
  }

  private static JsonNode awaitScheduled(WorkflowStub stub) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      JsonNode status = JSON.readTree(raw(stub.query("status", RawValue.class)));
      if (status.get("state").asText().equals("scheduled") || System.nanoTime() > deadline) {
        assertThat(status.get("state").asText()).isEqualTo("scheduled");
        return status;
      }
      Thread.sleep(50);
    }
  }

  private static long rows(String table, String column, String value) {
    return stack
        .db
        .jdbi()
        .withHandle(
            h ->
                h.createQuery("select count(*) from " + table + " where " + column + " = :v")
                    .bind("v", value)
                    .mapTo(Long.class)
                    .one());
  }

  /** The README's section, up to the next heading of the same or a higher level. */
  private static String readmeSection() throws IOException {
    List<String> lines = Files.readAllLines(README);
    int start = lines.indexOf(README_SECTION);
    assertThat(start).as("%s in %s", README_SECTION, README).isNotNegative();
    StringBuilder section = new StringBuilder();
    boolean inCode = false;
    for (String line : lines.subList(start, lines.size())) {
      if (line.startsWith("```")) {
        inCode = !inCode;
      } else if (!inCode && section.length() > 0 && line.matches("#{1,3} .*")) {
        break;
      }
      section.append(line).append('\n');
    }
    return section.toString();
  }

  private static List<String> matches(String text, String regex) {
    List<String> found = new ArrayList<>();
    Matcher m = Pattern.compile(regex).matcher(text);
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }

  /** The JSON object on the line after the first {@code label}, e.g. a card's value. */
  private static String jsonAfter(String section, String label) {
    int at = section.indexOf(label);
    assertThat(at).as("%s in the README section", label.strip()).isNotNegative();
    int open = section.indexOf('{', at);
    int depth = 0;
    boolean inString = false;
    for (int i = open; i < section.length(); i++) {
      char c = section.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '{') {
        depth++;
      } else if (c == '}' && --depth == 0) {
        // The section wraps long JSON onto several lines, each indented after a "#".
        return section.substring(open, i + 1).replaceAll("\n#?\\s*", " ");
      }
    }
    throw new AssertionError("unterminated JSON after " + label + " in the README section");
  }

  private static Set<String> fieldNames(JsonNode node) {
    Set<String> names = new TreeSet<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
