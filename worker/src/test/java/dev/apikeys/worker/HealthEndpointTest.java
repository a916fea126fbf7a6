package dev.apikeys.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.apikeys.cli.ApiKeysCommand;
import dev.apikeys.config.DatabaseConfig;
import dev.apikeys.config.WorkerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code /healthz} of an {@code apikeys worker} process through what a readiness probe sees: 503
 * and one line saying why while the schema is behind, PostgreSQL is down or Temporal does not
 * answer; 200 again once each is back, without restarting the worker.
 */
class HealthEndpointTest {

  @Test
  @Timeout(300)
  void readinessFollowsTheSchemaPostgresqlAndTemporal() throws Exception {
    try (RestartablePostgres postgres = RestartablePostgres.start();
        RevocationStack stack = RevocationStack.start()) {
      Map<String, String> database = new HashMap<>();
      database.put(DatabaseConfig.URL, postgres.jdbcUrl());
      database.put(DatabaseConfig.USER, "postgres");
      Map<String, String> workerEnv = new HashMap<>(database);
      // An empty database, left unmigrated by the worker: the schema is behind.
      workerEnv.put(WorkerConfig.MIGRATE, "false");
      Map<String, String> env = new HashMap<>(stack.env());
      env.putAll(database);
      Path logs = Files.createTempDirectory("apikeys-health");
      try (WorkerProcess worker = WorkerProcess.start(stack, logs, "worker", workerEnv)) {
        MonitoringEndpoints endpoints = worker.monitoring();

        HttpResponse<String> behind = endpoints.awaitHealth(503);
        assertOneLine(behind);
        assertThat(behind.body())
            .isEqualTo(
                "not ready: the database has no apikeys schema (no apikeys_schema_history table);"
                    + " run `apikeys migrate`\n");

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int migrated =
            ApiKeysCommand.execute(
                new String[] {"migrate"}, env, new PrintWriter(out), new PrintWriter(err));
        assertThat(migrated).as(err.toString()).isZero();
        assertThat(endpoints.awaitHealth(200).body()).isEqualTo("ok\n");

        postgres.stop();
        HttpResponse<String> down = endpoints.awaitHealth(503);
        assertOneLine(down);
        assertThat(down.body()).startsWith("not ready: PostgreSQL ");
        // /metrics does not depend on the database.
        assertThat(endpoints.get("/metrics").statusCode()).isEqualTo(200);

        postgres.startAgain();
        assertThat(endpoints.awaitHealth(200).body()).isEqualTo("ok\n");

        String temporalAddress = stack.server.address();
        stack.server.close();
        HttpResponse<String> noTemporal = endpoints.awaitHealth(503);
        assertOneLine(noTemporal);
        assertThat(noTemporal.body())
            .startsWith("not ready: Temporal at " + temporalAddress + " does not answer");
        assertThat(worker.log()).doesNotContainPattern("sk_[0-9a-f]{8}");
      }
    }
  }

  private static void assertOneLine(HttpResponse<String> response) {
    System.out.print("/healthz " + response.statusCode() + ": " + response.body());
    assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
    assertThat(response.body()).endsWith("\n");
    assertThat(response.body().lines()).hasSize(1);
  }
}
