package dev.apikeys.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.module.RevocationHandle;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.SharedContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The worker in a process of its own, killed with SIGKILL while a revocation's timer runs and
 * started again after the instant: the key stops authenticating at the instant with no worker
 * running (the database alone decides), and the restarted worker stamps the original instant,
 * once.
 */
class WorkerRestartTest {
  private static final String STARTED = "apikeys worker started";

  private RevocationStack stack;
  private final List<Process> workers = new ArrayList<>();
  private Path logs;

  @BeforeEach
  void start() throws IOException {
    stack = RevocationStack.start();
    logs = Files.createTempDirectory("apikeys-worker-logs");
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (Process worker : workers) {
      if (worker.isAlive()) {
        worker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    stack.close();
  }

  @Test
  @Timeout(120)
  void aWorkerKilledDuringTheTimerLeavesTheKeyRevokedByDataAndTheNextOneStampsTheInstant()
      throws Exception {
    ApiKeyDTO key = stack.store().createApiKey(new CreateApiKeyDTO("restart", "secret", "user_1"));
    Process first = startWorker("first");

    RevocationHandle handle =
        stack.service().startRevoke(
            RevokeRequest.ofId(
                key.id(), new RevokeApiKeyDTO("user_2", 4L), SharedContext.EMPTY));
    Instant instant = handle.scheduled().scheduledAt();
    assertThat(handle.scheduled().status()).isEqualTo(RevocationState.SCHEDULED);

    first.destroyForcibly();
    assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(Instant.now()).as("killed before the instant").isBefore(instant);

    RevocationEndToEndTest.sleepUntil(instant.plusMillis(500));
    assertThat(stack.store().authenticate(key.token()))
        .as("no worker runs, yet the key stopped authenticating at the instant")
        .isEmpty();
    assertThat(revocationStatus(handle.scheduled().revocationId()))
        .as("nothing was stamped while no worker ran")
        .isEqualTo("scheduled");
    assertThat(revokedEvents(key.id())).isZero();

    Process second = startWorker("second");
    Instant restarted = Instant.now();
    RevokeResult result = handle.await(Duration.ofSeconds(60));
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(result.scheduledAt()).isEqualTo(instant);
    Instant stamped =
        stack.db.jdbi().withHandle(
            h -> h.createQuery("select revoked_at from api_key where id = :id")
                .bind("id", key.id())
                .mapTo(Instant.class)
                .one());
    assertThat(stamped).isEqualTo(instant);
    assertThat(revokedEvents(key.id())).isEqualTo(1);
    Instant completed =
        stack.db.jdbi().withHandle(
            h -> h.createQuery("select completed_at from apikeys_revocation where id = :id")
                .bind("id", result.revocationId())
                .mapTo(Instant.class)
                .one());
    System.out.println(
        "after restart: stamp committed " + Duration.between(restarted, completed).toMillis()
            + " ms after the new worker was up ("
            + Duration.between(instant, completed).toMillis() + " ms after the instant)");

    // SIGTERM: the second worker stops gracefully through its shutdown hook.
    second.destroy();
    assertThat(second.waitFor(45, TimeUnit.SECONDS)).as("stopped after SIGTERM").isTrue();
    assertThat(Files.readString(logs.resolve("second.err"), StandardCharsets.UTF_8))
        .contains("apikeys worker stopping");
  }

  /** Starts {@code apikeys worker} in a new JVM on this test's classpath and waits for it. */
  private Process startWorker(String name) throws IOException, InterruptedException {
    Path err = logs.resolve(name + ".err");
    ProcessBuilder builder =
        new ProcessBuilder(
            Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            ApiKeysCommand.class.getName(),
            "worker");
    builder.environment().putAll(stack.env());
    builder.environment().put(WorkerConfig.STICKY_TIMEOUT, "0");
    builder.redirectOutput(logs.resolve(name + ".out").toFile());
    builder.redirectError(err.toFile());
    Process process = builder.start();
    workers.add(process);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      String log = Files.exists(err) ? Files.readString(err, StandardCharsets.UTF_8) : "";
      if (log.contains(STARTED)) {
        assertThat(log).contains("task queue " + stack.temporal.taskQueue())
            .contains("address " + stack.server.address());
        return process;
      }
      if (!process.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError("worker " + name + " did not start:\n" + log);
      }
      Thread.sleep(100);
    }
  }

  private String revocationStatus(String revocationId) {
    return stack.db.jdbi().withHandle(
        h -> h.createQuery("select status from apikeys_revocation where id = :id")
            .bind("id", revocationId)
            .mapTo(String.class)
            .one());
  }

  private long revokedEvents(String keyId) {
    return stack.db.jdbi().withHandle(
        h -> h.createQuery(
                "select count(*) from apikeys_event where name = 'api_key.revoked'"
                    + " and api_key_id = :id")
            .bind("id", keyId)
            .mapTo(Long.class)
            .one());
  }
}
