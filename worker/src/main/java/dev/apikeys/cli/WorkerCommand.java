package dev.apikeys.cli;

import dev.apikeys.config.MetricsConfig;
import dev.apikeys.config.TemporalConfig;
import dev.apikeys.config.TemporalConnection;
import dev.apikeys.config.WorkerConfig;
import dev.apikeys.store.Migrations;
import dev.apikeys.worker.Readiness;
import dev.apikeys.worker.RevocationWorker;
import dev.apikeys.worker.RevocationWorkerOptions;
import dev.apikeys.worker.WorkerMonitoring;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;

/**
 * {@code apikeys worker}: hosts the revocation workflow and its activities against a real Temporal
 * and PostgreSQL until SIGTERM or Ctrl-C, then stops gracefully. It serves {@code /metrics} and
 * {@code /healthz} while it runs (see {@link WorkerMonitoring}).
 */
@Command(
    name = "worker",
    description = {
      "Run the revocation worker until SIGTERM or Ctrl-C.",
      "Database: APIKEYS_DATABASE_URL (and _USER, _PASSWORD, _POOL_SIZE),"
          + " APIKEYS_SELECTOR_TIMEOUT.",
      "Temporal: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*,"
          + " TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE; APIKEYS_TASK_QUEUE.",
      "APIKEYS_MIGRATE=false skips migrations; APIKEYS_STICKY_TIMEOUT (seconds, 0 for the Java"
          + " test server) sets the sticky queue timeout; APIKEYS_ROTATION_ENABLED=true lets"
          + " this worker run key rotations (off by default: they issue credentials);"
          + " APIKEYS_EXAMPLES=true also hosts the example OffboardUserWorkflow.",
      "/metrics and /healthz: APIKEYS_METRICS_PORT (default 9464, 0 turns them off),"
          + " APIKEYS_METRICS_BIND (default 0.0.0.0)."
    })
final class WorkerCommand extends ApiKeysCommand.Subcommand {
  private static final Logger log = LoggerFactory.getLogger(WorkerCommand.class);

  @Override
  public Integer call() {
    CommandContext context = context();
    // Every setting is read and checked before anything connects, so a typo fails at once.
    context.databaseConfig();
    WorkerConfig config = WorkerConfig.fromEnvironment(context.env());
    TemporalConfig temporal = context.temporalConfig();
    MetricsConfig metrics = MetricsConfig.fromEnvironment(context.env());

    // Listening first: a port that is taken fails the start before anything else is done, and
    // /healthz says "starting" while the migrations run.
    try (WorkerMonitoring monitoring = WorkerMonitoring.start(metrics)) {
      if (config.migrate()) {
        Migrations.migrate(context.dataSource());
      }
      try (ShutdownSignal signal = new ShutdownSignal();
          TemporalConnection connection = temporal.connect(monitoring.temporalScope());
          RevocationWorker worker =
              new RevocationWorker(
                  connection.client(),
                  context.database(monitoring.domainMetrics()),
                  new RevocationWorkerOptions(
                      temporal.taskQueue(),
                      config.stickyTimeout(),
                      config.rotationEnabled(),
                      config.examples()));
          Readiness readiness =
              new Readiness(
                  worker,
                  connection.stubs(),
                  temporal.address(),
                  context.dataSource(),
                  context.jdbi())) {
        worker.start();
        monitoring.serveReadiness(readiness);
        log.info(
            "apikeys worker started: {}, rotation {}",
            temporal.describe(),
            config.rotationEnabled() ? "enabled" : "off");
        signal.await();
        log.info("apikeys worker stopping: finishing the tasks in flight");
      }
    }
    return ApiKeysCommand.ExitCodes.OK;
  }
}
