package dev.apikeys.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.apikeys.config.TemporalConfig;
import dev.apikeys.config.WorkerConfig;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.worker.RevocationEndToEndTest;
import dev.apikeys.worker.RevocationStack;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.converter.RawValue;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The revocation commands as a user runs them from a second terminal: arguments and environment in,
 * JSON and an exit code out, against a worker on the port-bound test server.
 */
class RevokeCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static RevocationStack stack;
  private Map<String, String> env;

  @BeforeAll
  static void start() {
    stack = RevocationStack.start().withWorker();
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @BeforeEach
  void environment() {
    env = new HashMap<>(stack.env());
  }

  CliRun run(String... args) {
    return CliRun.of(env, args);
  }

  private JsonNode createKey(String title) {
    CliRun create = run("create", "--title", title, "--type", "secret", "--created-by", "user_1");
    assertThat(create.exitCode()).as(create.err()).isZero();
    return create.json();
  }

  @Test
  @Timeout(60)
  void revokeWaitSaysWhenItIsScheduledThenPrintsTheFinalResult() {
    JsonNode key = createKey("wait");
    String id = key.get("id").asText();
    String token = key.get("token").asText();

    CliRun revoke = run("revoke", "--id", id, "--revoked-by", "me", "--revoke-in", "1", "--wait");

    assertThat(revoke.exitCode()).as(revoke.err()).isZero();
    JsonNode result = revoke.json();
    assertThat(result.get("status").asText()).isEqualTo("revoked");
    assertThat(result.get("workflow_id").asText()).startsWith(RevocationNames.WORKFLOW_ID_PREFIX);
    String scheduledAt = result.get("scheduled_at").asText();
    assertThat(result.get("api_keys").get(0).get("revoked_at").asText()).isEqualTo(scheduledAt);
    assertThat(revoke.err().strip())
        .isEqualTo(
            "scheduled "
                + result.get("revocation_id").asText()
                + " for 1 key at "
                + scheduledAt
                + "; waiting…");
    assertThat(revoke.out() + revoke.err()).doesNotContain(token).doesNotContain("salt");

    CliRun auth = run("authenticate", token);
    assertThat(auth.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(auth.out().strip()).isEqualTo("false");
  }

  @Test
  @Timeout(60)
  void statusRescheduleAndCancelBeforeTheInstantRestoreTheKey() {
    JsonNode key = createKey("cancel");
    String id = key.get("id").asText();

    CliRun revoke =
        run(
            "revoke",
            "--id",
            id,
            "--revoked-by",
            "me",
            "--revoke-in",
            "60",
            "--idempotency-key",
            "cancel-" + id);
    assertThat(revoke.exitCode()).as(revoke.err()).isZero();
    assertThat(revoke.err()).doesNotContain("scheduled rvk_");
    JsonNode scheduled = revoke.json();
    String workflowId = scheduled.get("workflow_id").asText();
    assertThat(workflowId).isEqualTo(RevocationNames.workflowIdFor("cancel-" + id));
    assertThat(scheduled.get("status").asText()).isEqualTo("scheduled");
    assertThat(scheduled.get("api_keys").get(0).get("revoked_by").asText()).isEqualTo("me");

    CliRun status = run("revocation", "status", workflowId);
    assertThat(status.exitCode()).as(status.err()).isZero();
    assertThat(status.json().get("state").asText()).isEqualTo("scheduled");
    assertThat(status.json().get("scheduled_at").asText())
        .isEqualTo(scheduled.get("scheduled_at").asText());

    CliRun reschedule = run("revocation", "reschedule", workflowId, "--revoke-in", "120");
    assertThat(reschedule.exitCode()).as(reschedule.err()).isZero();
    Instant moved = Instant.parse(reschedule.json().get("scheduled_at").asText());
    assertThat(moved).isAfter(Instant.parse(scheduled.get("scheduled_at").asText()));
    assertThat(Instant.parse(run("retrieve", id).json().get("revoked_at").asText()))
        .isEqualTo(moved);

    CliRun tooFar = run("revocation", "reschedule", workflowId, "--revoke-in", "-1");
    assertThat(tooFar.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(tooFar.err().strip())
        .isEqualTo("INVALID_DATA: revoke_in: must be 0 or more seconds");

    CliRun cancel = run("revocation", "cancel", workflowId);
    assertThat(cancel.exitCode()).as(cancel.err()).isZero();
    assertThat(cancel.json().get("workflow_id").asText()).isEqualTo(workflowId);
    assertThat(cancel.json().get("status").asText()).isEqualTo("cancelled");
    JsonNode restored = run("retrieve", id).json();
    assertThat(restored.get("revoked_at").isNull()).isTrue();
    assertThat(restored.get("revoked_by").isNull()).isTrue();
    assertThat(run("authenticate", key.get("token").asText()).exitCode()).isZero();

    CliRun after = run("revocation", "reschedule", workflowId, "--revoke-in", "5");
    assertThat(after.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(after.err())
        .startsWith(
            "NOT_ALLOWED: revocation workflow \"" + workflowId + "\" has closed (cancelled)");
    assertThat(run("revocation", "status", workflowId).json().get("state").asText())
        .isEqualTo("cancelled");
  }

  @Test
  @Timeout(60)
  void cancelReachingTheWorkflowAfterTheInstantChangesNothingAndSaysTheRevocationStands()
      throws Exception {
    JsonNode key = createKey("stands");
    String id = key.get("id").asText();
    // Long enough for the row lock below to be taken before the instant: with one second, a
    // loaded machine returned from `revoke` after the instant, the stamp ran first, and the
    // cancel then found the workflow closed.
    CliRun revoke = run("revoke", "--id", id, "--revoked-by", "me", "--revoke-in", "5");
    assertThat(revoke.exitCode()).as(revoke.err()).isZero();
    String workflowId = revoke.json().get("workflow_id").asText();
    String revocationId = revoke.json().get("revocation_id").asText();
    Instant instant = Instant.parse(revoke.json().get("scheduled_at").asText());

    // Holding the revocation's row keeps the stamp waiting, so the cancel surely reaches a
    // workflow that is past its instant but still running.
    CompletableFuture<CliRun> cancel;
    try (Handle lock = stack.db.jdbi().open()) {
      lock.begin();
      lock.createQuery("select id from apikeys_revocation where id = :id for update")
          .bind("id", revocationId)
          .mapTo(String.class)
          .one();
      assertThat(Instant.now()).as("the row is held before the instant").isBefore(instant);
      RevocationEndToEndTest.sleepUntil(instant.plusMillis(300));
      cancel = CompletableFuture.supplyAsync(() -> run("revocation", "cancel", workflowId));
      WorkflowStub stub = stack.client.client().newUntypedWorkflowStub(workflowId);
      while (stack.client.client().fetchHistory(workflowId).getEvents().stream()
          .map(HistoryEvent::getEventType)
          .noneMatch(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED::equals)) {
        assertThat(cancel)
            .as("the cancel command ended before its cancel reached the workflow")
            .isNotDone();
        Thread.sleep(50);
      }
      assertThat(stub.describe().getStatus())
          .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
      lock.rollback();
    }

    // Nothing was cancelled, so the command is refused and says why; the result still says
    // what the revocation came to.
    CliRun stands = cancel.get(30, TimeUnit.SECONDS);
    assertThat(stands.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(stands.err())
        .isEqualTo(
            "NOT_ALLOWED: cancel requested after the scheduled instant; the revocation stands"
                + System.lineSeparator());
    assertThat(stands.out()).isEmpty();
    CliRun result = run("revocation", "result", workflowId);
    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.json().get("status").asText()).isEqualTo("revoked");
    assertThat(result.json().get("message").asText())
        .isEqualTo("cancel requested after the scheduled instant; the revocation stands");
    assertThat(Instant.parse(result.json().get("scheduled_at").asText())).isEqualTo(instant);
    assertThat(result.json().get("api_keys").get(0).get("id").asText()).isEqualTo(id);
    assertThat(Instant.parse(run("retrieve", id).json().get("revoked_at").asText()))
        .isEqualTo(instant);
    assertThat(run("authenticate", key.get("token").asText()).exitCode())
        .isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    // Temporal itself records the workflow as cancelled, whatever it returned.
    assertThat(stack.client.client().newUntypedWorkflowStub(workflowId).describe().getStatus())
        .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED);
  }

  @Test
  @Timeout(60)
  void revokeNowOnASelectorThenResultAndHeldEventsReleasedByGroup() {
    String title = "batch-" + UUID.randomUUID();
    String first = createKey(title).get("id").asText();
    String second = createKey(title).get("id").asText();
    String group = "grp-" + UUID.randomUUID();
    long cursor = lastReleaseSeq();

    CliRun revoke =
        run(
            "revoke",
            "--selector",
            "{\"title\":\"" + title + "\"}",
            "--revoked-by",
            "ops",
            "--revoke-in",
            "300",
            "--event-group-id",
            group,
            "--prevent-release-events");
    assertThat(revoke.exitCode()).as(revoke.err()).isZero();
    assertThat(revoke.json().get("key_count").asInt()).isEqualTo(2);
    String workflowId = revoke.json().get("workflow_id").asText();

    CliRun now = run("revocation", "revoke-now", workflowId);
    assertThat(now.exitCode()).as(now.err()).isZero();
    assertThat(Instant.parse(now.json().get("scheduled_at").asText()))
        .isBefore(Instant.parse(revoke.json().get("scheduled_at").asText()));

    CliRun result = run("revocation", "result", workflowId);
    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.json().get("status").asText()).isEqualTo("revoked");
    assertThat(result.json().get("api_keys"))
        .extracting(k -> k.get("id").asText())
        .containsExactlyInAnyOrder(first, second);

    // Held: recorded with the stamp, invisible to consumers until the group is released.
    CliRun held = run("events", "list", "--after", String.valueOf(cursor));
    assertThat(held.exitCode()).as(held.err()).isZero();
    assertThat(held.json()).noneMatch(e -> group.equals(e.get("event_group_id").asText()));

    CliRun release = run("events", "release", group);
    assertThat(release.exitCode()).as(release.err()).isZero();
    // The two api_key.revoked events, and the api_key.revocation_rescheduled of the revoke-now.
    assertThat(release.json().get("released").asInt()).isEqualTo(3);
    assertThat(run("events", "release", group).json().get("released").asInt()).isZero();

    JsonNode all = run("events", "list", "--after", String.valueOf(cursor)).json();
    assertThat(all)
        .extracting(e -> e.get("name").asText())
        .containsExactly("api_key.revocation_rescheduled", "api_key.revoked", "api_key.revoked");
    List<JsonNode> events = new ArrayList<>();
    all.forEach(
        e -> {
          if (e.get("name").asText().equals("api_key.revoked")) {
            events.add(e);
          }
        });
    assertThat(events).allMatch(e -> e.get("event_group_id").asText().equals(group));
    assertThat(events)
        .extracting(e -> e.get("data").get("id").asText())
        .containsExactlyInAnyOrder(first, second);
    long firstSeq = events.get(0).get("release_seq").asLong();
    assertThat(events.get(1).get("release_seq").asLong()).isGreaterThan(firstSeq);

    JsonNode page =
        run("events", "list", "--after", String.valueOf(firstSeq - 1), "--limit", "1").json();
    assertThat(page).hasSize(1);
    assertThat(page.get(0).get("release_seq").asLong()).isEqualTo(firstSeq);
  }

  @Test
  @Timeout(60)
  void aWorkflowRepeatingAnIdempotencyKeyRefusesUpdatesAsNotAllowed() throws Exception {
    String id = createKey("duplicate").get("id").asText();
    String idempotencyKey = "dup-" + id;
    CliRun owner =
        run(
            "revoke",
            "--id",
            id,
            "--revoked-by",
            "me",
            "--revoke-in",
            "120",
            "--idempotency-key",
            idempotencyKey);
    assertThat(owner.exitCode()).as(owner.err()).isZero();
    String ownerId = owner.json().get("workflow_id").asText();

    // The Temporal CLI names its own workflow: same request, same key, another workflow id.
    String duplicateId = "cli-" + UUID.randomUUID();
    WorkflowStub duplicate =
        stack
            .client
            .client()
            .newUntypedWorkflowStub(
                RevocationNames.WORKFLOW_TYPE,
                WorkflowOptions.newBuilder()
                    .setWorkflowId(duplicateId)
                    .setTaskQueue(stack.temporal.taskQueue())
                    .build());
    String input =
        "{\"id\":\""
            + id
            + "\",\"data\":{\"revoked_by\":\"me\",\"revoke_in\":120},"
            + "\"context\":{\"idempotencyKey\":\""
            + idempotencyKey
            + "\"}}";
    duplicate.start(
        new RawValue(
            Payload.newBuilder()
                .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
                .setData(ByteString.copyFrom(input, StandardCharsets.UTF_8))
                .build()));
    JsonNode status = run("revocation", "status", duplicateId).json();
    for (int i = 0; i < 100 && !status.has("duplicate_of"); i++) {
      Thread.sleep(50);
      status = run("revocation", "status", duplicateId).json();
    }
    assertThat(status.get("duplicate_of").asText()).isEqualTo(ownerId);

    CliRun refused = run("revocation", "revoke-now", duplicateId);
    assertThat(refused.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(refused.err().strip())
        .isEqualTo(
            "NOT_ALLOWED: this workflow repeats an idempotency key; change the revocation"
                + " through workflow "
                + ownerId);

    assertThat(run("revocation", "cancel", ownerId).json().get("status").asText())
        .isEqualTo("cancelled");
  }

  @Test
  @Timeout(60)
  void refusalsAndUnreachableOrMisconfiguredTemporalAreOneLine() throws Exception {
    CliRun missing = run("revoke", "--id", "apk_missing", "--revoked-by", "me");
    assertThat(missing.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(missing.err())
        .isEqualTo("NOT_FOUND: ApiKey with id \"apk_missing\" not found" + System.lineSeparator());
    assertThat(missing.out()).isEmpty();

    CliRun noSuchWorkflow = run("revocation", "status", "revoke-apikeys-nothing");
    assertThat(noSuchWorkflow.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(noSuchWorkflow.err().strip())
        .isEqualTo("NOT_FOUND: no revocation workflow with id \"revoke-apikeys-nothing\"");

    CliRun both = run("revoke", "--id", "apk_1", "--selector", "{}", "--revoked-by", "me");
    assertThat(both.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.USAGE);

    CliRun badLimit = run("events", "list", "--limit", "0");
    assertThat(badLimit.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.USAGE);
    assertThat(badLimit.err()).startsWith("apikeys events list: --limit=<n>: expected a number");

    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    env.put(TemporalConfig.ADDRESS, "127.0.0.1:" + closedPort);
    env.put(TemporalConfig.CONNECT_TIMEOUT, "1");
    CliRun unreachable = run("revoke", "--id", "apk_1", "--revoked-by", "me");
    assertThat(unreachable.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.CONFIGURATION);
    assertThat(unreachable.err())
        .startsWith("TEMPORAL_ADDRESS: cannot reach Temporal at 127.0.0.1:" + closedPort);
    assertThat(unreachable.err().lines()).hasSize(1);
    CliRun workerUnreachable = run("worker");
    assertThat(workerUnreachable.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.CONFIGURATION);
    assertThat(workerUnreachable.err()).startsWith("TEMPORAL_ADDRESS: cannot reach Temporal");

    env = new HashMap<>(stack.env());
    env.put(WorkerConfig.STICKY_TIMEOUT, "soon");
    CliRun sticky = run("worker");
    assertThat(sticky.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.CONFIGURATION);
    assertThat(sticky.err().strip())
        .isEqualTo(
            "APIKEYS_STICKY_TIMEOUT must be a whole number of seconds, 0 or more, got \"soon\"");

    env = new HashMap<>(stack.env());
    env.put(WorkerConfig.MIGRATE, "maybe");
    assertThat(run("worker").err()).startsWith("APIKEYS_MIGRATE must be true or false");

    env = new HashMap<>(stack.env());
    env.put(TemporalConfig.PROFILE, "staging");
    CliRun profile = run("revocation", "status", "x");
    assertThat(profile.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.CONFIGURATION);
    assertThat(profile.err()).startsWith("TEMPORAL_PROFILE: ");

    env.remove(TemporalConfig.PROFILE);
    Path missingFile = Files.createTempDirectory("apikeys").resolve("absent.toml");
    env.put(TemporalConfig.CONFIG_FILE, missingFile.toString());
    CliRun file = run("worker");
    assertThat(file.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.CONFIGURATION);
    assertThat(file.err().strip())
        .isEqualTo("TEMPORAL_CONFIG_FILE: no readable file at " + missingFile);
  }

  private static long lastReleaseSeq() {
    return stack
        .db
        .jdbi()
        .withHandle(
            h ->
                h.createQuery("select coalesce(max(release_seq), 0) from apikeys_event")
                    .mapTo(Long.class)
                    .one());
  }
}
