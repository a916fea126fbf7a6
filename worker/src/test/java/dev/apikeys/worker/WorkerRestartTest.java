package dev.apikeys.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.apikeys.client.RevocationHandle;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.SharedContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The worker in a process of its own, killed with SIGKILL while a revocation's timer runs and
 * started again after the instant: the key stops authenticating at the instant with no worker
 * running (the database alone decides), and the restarted worker stamps the original instant, once.
 */
class WorkerRestartTest {
  private RevocationStack stack;
  private final List<WorkerProcess> workers = new ArrayList<>();
  private Path logs;

  @BeforeEach
  void start() throws IOException {
    stack = RevocationStack.start();
    logs = Files.createTempDirectory("apikeys-worker-logs");
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (WorkerProcess worker : workers) {
      worker.close();
    }
    stack.close();
  }

  @Test
  @Timeout(120)
  void aWorkerKilledDuringTheTimerLeavesTheKeyRevokedByDataAndTheNextOneStampsTheInstant()
      throws Exception {
    ApiKeyDTO key = stack.store().createApiKey(new CreateApiKeyDTO("restart", "secret", "user_1"));
    WorkerProcess first = startWorker("first");

    RevocationHandle handle =
        stack
            .service()
            .startRevoke(
                RevokeRequest.ofId(
                    key.id(), new RevokeApiKeyDTO("user_2", 12L), SharedContext.EMPTY));
    Instant instant = handle.scheduled().scheduledAt();

    first.kill();
    assertThat(Instant.now()).as("killed before the instant").isBefore(instant);

    RevocationEndToEndTest.sleepUntil(instant.plusMillis(500));
    assertThat(stack.store().authenticate(key.token()))
        .as("no worker runs, yet the key stopped authenticating at the instant")
        .isEmpty();
    assertThat(revocationStatus(handle.scheduled().revocationId()))
        .as("nothing was stamped while no worker ran")
        .isEqualTo("scheduled");
    assertThat(revokedEvents(key.id())).isZero();

    WorkerProcess second = startWorker("second");
    Instant restarted = Instant.now();
    RevokeResult result = handle.await(Duration.ofSeconds(60));
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(result.scheduledAt()).isEqualTo(instant);
    Instant stamped =
        stack
            .db
            .jdbi()
            .withHandle(
                h ->
                    h.createQuery("select revoked_at from api_key where id = :id")
                        .bind("id", key.id())
                        .mapTo(Instant.class)
                        .one());
    assertThat(stamped).isEqualTo(instant);
    assertThat(revokedEvents(key.id())).isEqualTo(1);
    Instant completed =
        stack
            .db
            .jdbi()
            .withHandle(
                h ->
                    h.createQuery("select completed_at from apikeys_revocation where id = :id")
                        .bind("id", result.revocationId())
                        .mapTo(Instant.class)
                        .one());
    System.out.println(
        "after restart: stamp committed "
            + Duration.between(restarted, completed).toMillis()
            + " ms after the new worker was up ("
            + Duration.between(instant, completed).toMillis()
            + " ms after the instant)");

    // SIGTERM: the second worker stops gracefully through its shutdown hook.
    assertThat(second.terminate(45)).as("stopped after SIGTERM").isTrue();
    assertThat(Files.readString(logs.resolve("second.err"), StandardCharsets.UTF_8))
        .contains("apikeys worker stopping");
  }

  private WorkerProcess startWorker(String name) throws IOException {
    WorkerProcess worker = WorkerProcess.start(stack, logs, name);
    workers.add(worker);
    assertThat(worker.log())
        .contains("task queue " + stack.temporal.taskQueue())
        .contains("address " + stack.server.address());
    return worker;
  }

  private String revocationStatus(String revocationId) {
    return stack
        .db
        .jdbi()
        .withHandle(
            h ->
                h.createQuery("select status from apikeys_revocation where id = :id")
                    .bind("id", revocationId)
                    .mapTo(String.class)
                    .one());
  }

  private long revokedEvents(String keyId) {
    return stack
        .db
        .jdbi()
        .withHandle(
            h ->
                h.createQuery(
                        "select count(*) from apikeys_event where name = 'api_key.revoked'"
                            + " and api_key_id = :id")
                    .bind("id", keyId)
                    .mapTo(Long.class)
                    .one());
  }
}
