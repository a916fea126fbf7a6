package dev.apikeys.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.apikeys.cli.ApiKeysCommand;
import dev.apikeys.cli.CliRun;
import dev.apikeys.config.TemporalConfig;
import dev.apikeys.examples.OffboardUserWorkflow;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.revocation.RevokeResult;
import io.temporal.client.WorkflowOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two promises end to end, with the worker in a process of its own on a task queue that is not the
 * default: child revocations run on their parent's queue (an offboarding revokes the user's keys),
 * and one idempotency key stands for one request through the command line (CONFLICT, exit 1, for
 * another request under a used key).
 */
class TaskQueueAndIdempotencyEndToEndTest {
  private static final String QUEUE = "apikeys-anything";

  private RevocationStack stack;
  private WorkerProcess worker;
  private Map<String, String> env;

  @BeforeEach
  void start() throws Exception {
    stack = RevocationStack.start();
    Path logs = Files.createTempDirectory("apikeys-queue");
    worker =
        WorkerProcess.start(
            stack,
            logs,
            "worker",
            Map.of(TemporalConfig.TASK_QUEUE, QUEUE, "APIKEYS_EXAMPLES", "true"));
    assertThat(worker.log()).contains("task queue " + QUEUE);
    env = new HashMap<>(stack.env());
    env.put(TemporalConfig.TASK_QUEUE, QUEUE);
  }

  @AfterEach
  void stop() throws Exception {
    worker.close();
    stack.close();
  }

  @Test
  @Timeout(120)
  void anOffboardingOnAnotherTaskQueueRevokesTheUsersKeys() throws Exception {
    List<ApiKeyDTO> keys =
        stack
            .store()
            .createApiKeys(
                List.of(
                    new CreateApiKeyDTO("a", "secret", "leaver"),
                    new CreateApiKeyDTO("b", "publishable", "leaver")));
    ApiKeyDTO other = stack.store().createApiKey(new CreateApiKeyDTO("c", "secret", "stayer"));
    OffboardUserWorkflow offboard =
        stack
            .client
            .client()
            .newWorkflowStub(
                OffboardUserWorkflow.class,
                WorkflowOptions.newBuilder()
                    .setTaskQueue(QUEUE)
                    .setWorkflowId("offboard-leaver")
                    .build());

    RevokeResult result =
        offboard.offboard(new OffboardUserWorkflow.Offboarding("leaver", 1, "hr"));

    assertThat(result.keyCount()).isEqualTo(2);
    for (ApiKeyDTO key : keys) {
      ApiKeyDTO now = stack.store().retrieveApiKey(key.id());
      assertThat(now.revokedBy()).isEqualTo("hr");
      assertThat(now.revokedAt()).isBeforeOrEqualTo(Instant.now());
    }
    assertThat(stack.store().retrieveApiKey(other.id()).revokedAt()).isNull();
    assertThat(
            stack
                .client
                .client()
                .fetchHistory(RevocationNames.workflowIdFor("offboard-leaver:revoke-user-keys"))
                .getEvents()
                .get(0)
                .getWorkflowExecutionStartedEventAttributes()
                .getTaskQueue()
                .getName())
        .isEqualTo(QUEUE);
  }

  @Test
  @Timeout(120)
  void theCommandLineRefusesAnotherRequestUnderAUsedIdempotencyKey() throws Exception {
    String a = createKey("a");
    String b = createKey("b");
    CliRun first =
        run(
            "revoke",
            "--id",
            a,
            "--revoked-by",
            "me",
            "--revoke-in",
            "60",
            "--idempotency-key",
            "k");
    assertThat(first.exitCode()).as(first.err()).isZero();

    CliRun second =
        run(
            "revoke",
            "--id",
            b,
            "--revoked-by",
            "me",
            "--revoke-in",
            "60",
            "--idempotency-key",
            "k");

    assertThat(second.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(second.out()).isEmpty();
    assertThat(second.err().strip())
        .startsWith(
            "CONFLICT: idempotency key \"k\" was already used for a different revoke" + " request")
        .doesNotContain("\n");
    assertThat(stack.store().retrieveApiKey(b).revokedAt()).isNull();

    CliRun again =
        run(
            "revoke",
            "--id",
            a,
            "--revoked-by",
            "me",
            "--revoke-in",
            "60",
            "--idempotency-key",
            "k");
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(again.json().get("revocation_id").asText())
        .isEqualTo(first.json().get("revocation_id").asText());
    long revocations =
        stack
            .db
            .jdbi()
            .withHandle(
                h ->
                    h.createQuery("select count(*) from apikeys_revocation")
                        .mapTo(Long.class)
                        .one());
    assertThat(revocations).isEqualTo(1);
  }

  private CliRun run(String... args) {
    return CliRun.of(env, args);
  }

  private String createKey(String title) {
    CliRun create = run("create", "--title", title, "--type", "secret", "--created-by", "user_1");
    assertThat(create.exitCode()).as(create.err()).isZero();
    return create.json().get("id").asText();
  }
}
