package dev.apikeys.worker;

import com.zaxxer.hikari.HikariDataSource;
import dev.apikeys.store.Database;
import dev.apikeys.store.Migrations;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * Everything {@code apikeys dev} runs, in one process and on 127.0.0.1 only: an embedded
 * PostgreSQL (real server binaries), Temporal's Java test server with time skipping off, and the
 * revocation worker connected to it over gRPC exactly as {@code apikeys worker} connects to a
 * cluster. Closing it stops them in reverse order.
 */
final class DevEnvironment implements AutoCloseable {
  /** PostgreSQL's superuser in a cluster initialized by the embedded server. */
  private static final String POSTGRES_USER = "postgres";

  private final Deque<AutoCloseable> opened;
  private final String databaseUrl;
  private final TemporalConfig temporal;
  private final WorkerMonitoring monitoring;

  private DevEnvironment(
      Deque<AutoCloseable> opened,
      String databaseUrl,
      TemporalConfig temporal,
      WorkerMonitoring monitoring) {
    this.opened = opened;
    this.databaseUrl = databaseUrl;
    this.temporal = temporal;
    this.monitoring = monitoring;
  }

  /**
   * Starts the servers, migrates, and starts the worker.
   *
   * @param env the command's environment: its database and task-queue tuning apply, while the
   *     database location and the Temporal connection are the ones started here
   */
  static DevEnvironment start(DevConfig config, Map<String, String> env) {
    Deque<AutoCloseable> opened = new ArrayDeque<>();
    try {
      requireFree(config.postgresPort(), DevConfig.POSTGRES_PORT);
      requireFree(config.temporalPort(), DevConfig.TEMPORAL_PORT);
      WorkerMonitoring monitoring = WorkerMonitoring.start(MetricsConfig.loopback(env));
      opened.push(monitoring);

      EmbeddedPostgres postgres = startPostgres(config);
      opened.push(postgres);
      String databaseUrl =
          "jdbc:postgresql://" + loopback() + ":" + config.postgresPort() + "/postgres?user="
              + POSTGRES_USER;
      DatabaseConfig database =
          DatabaseConfig.fromEnvironment(databaseEnvironment(env, databaseUrl));
      HikariDataSource pool = database.openPool();
      opened.push(pool);
      Migrations.migrate(pool);
      Jdbi jdbi = Database.jdbi(pool);

      LocalTemporalServer server = startTemporal(config.temporalPort());
      opened.push(server);
      TemporalConfig temporal = TemporalConfig.local(server.address(), env);
      TemporalConnection connection = temporal.connect(monitoring.temporalScope());
      opened.push(connection);

      RevocationWorker worker =
          new RevocationWorker(
              connection.client(),
              jdbi,
              database.selectorTimeout(),
              temporal.taskQueue(),
              WorkerConfig.DEV.stickyTimeout(),
              temporal.encryptedPayloads(),
              monitoring.domainMetrics());
      worker.start();
      opened.push(worker);
      Readiness readiness =
          new Readiness(worker, connection.stubs(), temporal.address(), pool, jdbi);
      opened.push(readiness);
      monitoring.serveReadiness(readiness);
      return new DevEnvironment(opened, databaseUrl, temporal, monitoring);
    } catch (RuntimeException e) {
      closeAll(opened);
      throw e;
    }
  }

  /** The JDBC URL a second terminal exports as {@code APIKEYS_DATABASE_URL}. */
  String databaseUrl() {
    return databaseUrl;
  }

  /** The address a second terminal exports as {@code TEMPORAL_ADDRESS}. */
  String temporalAddress() {
    return temporal.address();
  }

  String taskQueue() {
    return temporal.taskQueue();
  }

  /** {@code http://127.0.0.1:<port>}, where {@code /metrics} and {@code /healthz} are; empty when off. */
  Optional<String> monitoringUrl() {
    return monitoring
        .address()
        .map(a -> "http://" + loopback() + ":" + a.getPort());
  }

  @Override
  public void close() {
    closeAll(opened);
  }

  private static EmbeddedPostgres startPostgres(DevConfig config) {
    EmbeddedPostgres.Builder builder =
        EmbeddedPostgres.builder()
            .setPort(config.postgresPort())
            .setServerConfig("listen_addresses", loopback())
            // The embedded server's test defaults trade durability for speed; dev data may be
            // kept across runs, so commits are made durable as on a real server.
            .setServerConfig("synchronous_commit", "on");
    config.dataDirectory()
        .ifPresent(dir -> builder.setDataDirectory(dir.toFile()).setCleanDataDirectory(false));
    try {
      return builder.start();
    } catch (IOException | RuntimeException e) {
      throw new ConfigurationException(
          DevConfig.POSTGRES_PORT + ": cannot start the embedded PostgreSQL on port "
              + config.postgresPort()
              + config.dataDirectory().map(d -> " with data in " + d).orElse("")
              + " (" + DatabaseConfig.firstLine(e.getMessage()) + ")",
          e);
    }
  }

  private static LocalTemporalServer startTemporal(int port) {
    try {
      return LocalTemporalServer.start(port);
    } catch (IOException e) {
      throw new ConfigurationException(
          DevConfig.TEMPORAL_PORT + ": cannot start the Temporal test server on " + loopback()
              + ":" + port + " (" + DatabaseConfig.firstLine(e.getMessage()) + ")",
          e);
    }
  }

  /**
   * The command's environment with the database pointed at the embedded server. A user and
   * password left over from a real database's settings would not be valid here, so they go.
   */
  private static Map<String, String> databaseEnvironment(Map<String, String> env, String url) {
    Map<String, String> merged = new HashMap<>(env);
    merged.put(DatabaseConfig.URL, url);
    merged.remove(DatabaseConfig.USER);
    merged.remove(DatabaseConfig.PASSWORD);
    return merged;
  }

  /** Fails fast, naming the variable, rather than after a server has waited on a taken port. */
  private static void requireFree(int port, String variable) {
    try (ServerSocket probe = new ServerSocket()) {
      probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    } catch (IOException e) {
      throw new ConfigurationException(
          variable + ": " + loopback() + ":" + port + " is already in use; set " + variable
              + " to a free port",
          e);
    }
  }

  private static String loopback() {
    return InetAddress.getLoopbackAddress().getHostAddress();
  }

  private static void closeAll(Deque<AutoCloseable> opened) {
    RuntimeException failure = null;
    while (!opened.isEmpty()) {
      try {
        opened.pop().close();
      } catch (Exception e) {
        // Keeps stopping the rest: a server left running would hold its port after we exit.
        if (failure == null) {
          failure = e instanceof IOException io ? new UncheckedIOException(io) : asRuntime(e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static RuntimeException asRuntime(Exception e) {
    return e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
  }
}
