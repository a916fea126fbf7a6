package dev.apikeys.dev;

import com.zaxxer.hikari.HikariDataSource;
import dev.apikeys.config.ConfigurationException;
import dev.apikeys.config.DatabaseConfig;
import dev.apikeys.config.DevConfig;
import dev.apikeys.config.MetricsConfig;
import dev.apikeys.config.TemporalConfig;
import dev.apikeys.config.TemporalConnection;
import dev.apikeys.config.WorkerConfig;
import dev.apikeys.store.ApiKeysDatabase;
import dev.apikeys.store.Migrations;
import dev.apikeys.worker.Readiness;
import dev.apikeys.worker.RevocationWorker;
import dev.apikeys.worker.RevocationWorkerOptions;
import dev.apikeys.worker.WorkerMonitoring;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.jdbi.v3.core.Jdbi;

/**
 * Everything {@code apikeys dev} runs, in one process and on 127.0.0.1 only: an embedded PostgreSQL
 * (real server binaries), Temporal's Java test server with time skipping off, and the revocation
 * worker connected to it over gRPC exactly as {@code apikeys worker} connects to a cluster. Closing
 * it stops them in reverse order.
 */
public final class DevEnvironment implements AutoCloseable {
  /** PostgreSQL's superuser in a cluster initialized by the embedded server. */
  private static final String POSTGRES_USER = "postgres";

  /**
   * Where a kept data directory (APIKEYS_DEV_DATA_DIR) holds its superuser's password, so the next
   * start can connect. PostgreSQL keeps that directory readable by its owner only.
   */
  public static final String PASSWORD_FILE = "apikeys-dev-password";

  private static final String PASSWORD_ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  private static final int PASSWORD_LENGTH = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

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
  public static DevEnvironment start(DevConfig config, Map<String, String> env) {
    Deque<AutoCloseable> opened = new ArrayDeque<>();
    try {
      requireFree(config.postgresPort(), DevConfig.POSTGRES_PORT);
      requireFree(config.temporalPort(), DevConfig.TEMPORAL_PORT);
      WorkerMonitoring monitoring = WorkerMonitoring.start(MetricsConfig.loopback(env));
      opened.push(monitoring);

      String password = password(config);
      EmbeddedPostgres postgres = startPostgres(config, password);
      opened.push(postgres);
      // The password is in the URL dev prints for a second terminal to export: it is a local
      // development server's, made for this data directory, and the URL is how every command
      // here is told where the database is.
      String databaseUrl =
          "jdbc:postgresql://"
              + loopback()
              + ":"
              + config.postgresPort()
              + "/postgres?user="
              + POSTGRES_USER
              + "&password="
              + password;
      DatabaseConfig database =
          DatabaseConfig.fromEnvironment(databaseEnvironment(env, databaseUrl));
      HikariDataSource pool = database.openPool();
      opened.push(pool);
      Migrations.migrate(pool);
      Jdbi jdbi = database.jdbi(pool);

      LocalTemporalServer server = startTemporal(config.temporalPort());
      opened.push(server);
      TemporalConfig temporal = TemporalConfig.local(server.address(), env);
      TemporalConnection connection = temporal.connect(monitoring.temporalScope());
      opened.push(connection);

      WorkerConfig dev = WorkerConfig.dev(env);
      RevocationWorker worker =
          new RevocationWorker(
              connection.client(),
              new ApiKeysDatabase(jdbi, database.selectorTimeout(), monitoring.domainMetrics()),
              new RevocationWorkerOptions(
                  temporal.taskQueue(),
                  dev.stickyTimeout(),
                  dev.rotationEnabled(),
                  dev.examples()));
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
  public String databaseUrl() {
    return databaseUrl;
  }

  /** The address a second terminal exports as {@code TEMPORAL_ADDRESS}. */
  public String temporalAddress() {
    return temporal.address();
  }

  public String taskQueue() {
    return temporal.taskQueue();
  }

  /**
   * {@code http://127.0.0.1:<port>}, where {@code /metrics} and {@code /healthz} are; empty when
   * off.
   */
  public Optional<String> monitoringUrl() {
    return monitoring.address().map(a -> "http://" + loopback() + ":" + a.getPort());
  }

  @Override
  public void close() {
    closeAll(opened);
  }

  /**
   * Starts PostgreSQL with password authentication only. The embedded server's default trusts every
   * local connection, so any user of the machine could connect as superuser and, through {@code
   * COPY … TO PROGRAM}, run commands as the developer. Here initdb makes every pg_hba rule
   * scram-sha-256 and gives the superuser a random password (from a file only its owner can read,
   * deleted once the cluster exists), so there is no moment of trust at all.
   */
  private static EmbeddedPostgres startPostgres(DevConfig config, String password) {
    EmbeddedPostgres.Builder builder =
        EmbeddedPostgres.builder()
            .setPort(config.postgresPort())
            .setServerConfig("listen_addresses", loopback())
            .setServerConfig("password_encryption", "scram-sha-256")
            // The embedded server's test defaults trade durability for speed; dev data may be
            // kept across runs, so commits are made durable as on a real server.
            .setServerConfig("synchronous_commit", "on")
            .setConnectConfig("password", password);
    Path passwordFile = null;
    try {
      passwordFile = Files.createTempFile("apikeys-dev", ".pw");
      Files.writeString(passwordFile, password, StandardCharsets.UTF_8);
      // initdb's own options, after the embedded server's "-A trust", which they override.
      builder
          .setLocaleConfig("auth", "scram-sha-256")
          .setLocaleConfig("pwfile", passwordFile.toString());
      config
          .dataDirectory()
          .ifPresent(
              dir ->
                  builder
                      .setDataDirectory(dir.toFile())
                      .setCleanDataDirectory(false)
                      .setDataDirectoryCustomizer(keepPassword(password)));
      return builder.start();
    } catch (IOException | RuntimeException e) {
      throw new ConfigurationException(
          DevConfig.POSTGRES_PORT
              + ": cannot start the embedded PostgreSQL on port "
              + config.postgresPort()
              + config.dataDirectory().map(d -> " with data in " + d).orElse("")
              + " ("
              + DatabaseConfig.firstLine(e.getMessage())
              + ")",
          e);
    } finally {
      if (passwordFile != null) {
        try {
          Files.deleteIfExists(passwordFile);
        } catch (IOException ignored) {
          // Owner-only and in the temporary directory; nothing more to do from here.
        }
      }
    }
  }

  /**
   * The superuser's password: the one a kept data directory was made with, or a new random one. A
   * kept directory without it was made by an earlier {@code apikeys dev} that trusted every local
   * connection; it is refused rather than started that way.
   */
  private static String password(DevConfig config) {
    Optional<Path> dir = config.dataDirectory();
    if (dir.isPresent() && Files.exists(dir.get().resolve("postgresql.conf"))) {
      Path file = dir.get().resolve(PASSWORD_FILE);
      try {
        return Files.readString(file, StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new ConfigurationException(
            DevConfig.DATA_DIR
                + ": "
                + dir.get()
                + " holds a PostgreSQL cluster without "
                + PASSWORD_FILE
                + "; an earlier apikeys dev made it trusting every local"
                + " connection. Delete it, or set "
                + DevConfig.DATA_DIR
                + " to a new directory",
            e);
      }
    }
    StringBuilder password = new StringBuilder();
    for (int i = 0; i < PASSWORD_LENGTH; i++) {
      password.append(PASSWORD_ALPHABET.charAt(RANDOM.nextInt(PASSWORD_ALPHABET.length())));
    }
    return password.toString();
  }

  /** Records a new cluster's password in its data directory, for the next start. */
  private static Consumer<File> keepPassword(String password) {
    return dataDirectory -> {
      Path file = dataDirectory.toPath().resolve(PASSWORD_FILE);
      if (Files.exists(file)) {
        return;
      }
      try {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, password, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
  }

  private static LocalTemporalServer startTemporal(int port) {
    try {
      return LocalTemporalServer.start(port);
    } catch (IOException e) {
      throw new ConfigurationException(
          DevConfig.TEMPORAL_PORT
              + ": cannot start the Temporal test server on "
              + loopback()
              + ":"
              + port
              + " ("
              + DatabaseConfig.firstLine(e.getMessage())
              + ")",
          e);
    }
  }

  /**
   * The command's environment with the database pointed at the embedded server. A user and password
   * left over from a real database's settings would not be valid here, so they go.
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
          variable
              + ": "
              + loopback()
              + ":"
              + port
              + " is already in use; set "
              + variable
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
