package dev.apikeys.cli;

import dev.apikeys.config.DatabaseConfig;
import dev.apikeys.config.DevConfig;
import dev.apikeys.config.TemporalConfig;
import dev.apikeys.dev.DevEnvironment;
import dev.apikeys.revocation.RevocationNames;
import java.io.PrintWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;

/**
 * {@code apikeys dev}: the whole system in one command with nothing installed, for trying it out
 * and for local development. Prints what to run in a second terminal, then runs until Ctrl-C.
 */
@Command(
    name = "dev",
    description = {
      "Run an embedded PostgreSQL, Temporal's Java test server (time skipping off) and the worker,"
          + " all on 127.0.0.1, until Ctrl-C.",
      "APIKEYS_DEV_POSTGRES_PORT (default 54329), APIKEYS_DEV_TEMPORAL_PORT (default 7233),"
          + " APIKEYS_DEV_DATA_DIR (default: a temporary directory deleted on exit),"
          + " APIKEYS_METRICS_PORT (/metrics and /healthz; default 9464, 0 turns them off)."
    })
final class DevCommand extends ApiKeysCommand.Subcommand {
  private static final Logger log = LoggerFactory.getLogger(DevCommand.class);

  /** The line that ends the instructions; tests and scripts wait for it. */
  static final String READY = "Press Ctrl-C to stop.";

  @Override
  public Integer call() {
    CommandContext context = context();
    DevConfig config = DevConfig.fromEnvironment(context.env());
    log.info(
        "apikeys dev: starting PostgreSQL on port {} and Temporal on port {}",
        config.postgresPort(),
        config.temporalPort());
    try (ShutdownSignal signal = new ShutdownSignal();
        DevEnvironment dev = DevEnvironment.start(config, context.env())) {
      printInstructions(context.out(), dev, config);
      signal.await();
      log.info("apikeys dev: stopping the worker, Temporal and PostgreSQL");
    }
    return ApiKeysCommand.ExitCodes.OK;
  }

  /** host:port of a JDBC URL, for the summary; the password is printed once, in the export. */
  private static String loopbackAddressOf(String jdbcUrl) {
    String rest = jdbcUrl.substring("jdbc:postgresql://".length());
    return rest.substring(0, rest.indexOf('/'));
  }

  private static void printInstructions(PrintWriter out, DevEnvironment dev, DevConfig config) {
    String temporalFlags =
        "--address " + dev.temporalAddress() + " --task-queue " + dev.taskQueue();
    out.println("apikeys dev is running:");
    out.println(
        "  PostgreSQL  "
            + loopbackAddressOf(dev.databaseUrl())
            + " (password authentication, superuser password in the URL below)"
            + config
                .dataDirectory()
                .map(d -> " (data in " + d + ")")
                .orElse(" (temporary data, deleted on exit)"));
    out.println(
        "  Temporal    "
            + dev.temporalAddress()
            + " (Java test server, time skipping off, namespace default)");
    out.println("  Worker      task queue " + dev.taskQueue());
    dev.monitoringUrl()
        .ifPresent(
            url -> {
              out.println("  Metrics     " + url + "/metrics");
              out.println("  Health      " + url + "/healthz");
            });
    if (config.dataDirectory().isPresent()) {
      // The test server keeps workflows in memory; only the database outlives this process.
      out.println(
          "  Note: revocations still waiting when this stops are not resumed on the next start;"
              + " their keys still stop authenticating at the instant.");
    }
    out.println();
    out.println("In another terminal:");
    // The URL carries the dev database's random password (scram-sha-256; nothing is trusted).
    out.println("  export " + DatabaseConfig.URL + "='" + dev.databaseUrl() + "'");
    out.println("  export " + TemporalConfig.ADDRESS + "=" + dev.temporalAddress());
    if (!RevocationNames.TASK_QUEUE.equals(dev.taskQueue())) {
      out.println("  export " + TemporalConfig.TASK_QUEUE + "=" + dev.taskQueue());
    }
    out.println("  bin/apikeys create --title demo --type secret --created-by me");
    out.println("  bin/apikeys revoke --id <id> --revoked-by me --revoke-in 5 --wait");
    out.println(
        "  bin/apikeys authenticate              # paste the token; it is read from"
            + " standard input");
    out.println();
    out.println("The same revocation from the Temporal CLI:");
    out.println(
        "  temporal workflow start "
            + temporalFlags
            + " --type "
            + RevocationNames.WORKFLOW_TYPE
            + " \\");
    out.println(
        "    --input '{\"id\":\"<id>\",\"data\":{\"revoked_by\":\"me\",\"revoke_in\":5},"
            + "\"context\":{\"idempotencyKey\":\"rk-1\"}}'");
    out.println();
    out.println(READY);
    out.flush();
  }
}
