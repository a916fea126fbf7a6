package dev.apikeys.worker;

import dev.apikeys.client.ApiKeyModuleService;
import dev.apikeys.config.DatabaseConfig;
import dev.apikeys.config.MetricsConfig;
import dev.apikeys.config.TemporalConfig;
import dev.apikeys.config.TemporalConnection;
import dev.apikeys.dev.LocalTemporalServer;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.ApiKeysDatabase;
import dev.apikeys.store.RevocationStore;
import dev.apikeys.store.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * What the end-to-end tests run against: a fresh migrated PostgreSQL database, Temporal's test
 * server bound to a free port on 127.0.0.1 (real gRPC, time skipping off), a client connected to it
 * over that port, and optionally the revocation worker on a connection of its own, so client and
 * worker share nothing but the server and the database.
 */
public final class RevocationStack implements AutoCloseable {
  public static final Duration SELECTOR_TIMEOUT = Duration.ofSeconds(10);

  /** A Temporal TOML file with an empty default profile, so none of the machine's applies. */
  public static final Path EMPTY_TEMPORAL_CONFIG = emptyTemporalConfig();

  public final TestDatabase db;
  final LocalTemporalServer server;
  public final TemporalConfig temporal;
  public final TemporalConnection client;

  /** The client side's database object, as an application holds one. */
  final ApiKeysDatabase database;

  private TemporalConnection workerConnection;
  private RevocationWorker worker;

  private RevocationStack(
      TestDatabase db,
      LocalTemporalServer server,
      TemporalConfig temporal,
      TemporalConnection client) {
    this.db = db;
    this.server = server;
    this.temporal = temporal;
    this.client = client;
    this.database = new ApiKeysDatabase(db.jdbi(), SELECTOR_TIMEOUT);
  }

  public static RevocationStack start() {
    TestDatabase db = TestDatabase.create();
    LocalTemporalServer server;
    try {
      server = LocalTemporalServer.start(0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> env = new HashMap<>();
    env.put(TemporalConfig.ADDRESS, server.address());
    env.put(TemporalConfig.CONFIG_FILE, EMPTY_TEMPORAL_CONFIG.toString());
    TemporalConfig temporal = TemporalConfig.fromEnvironment(env);
    return new RevocationStack(db, server, temporal, temporal.connect());
  }

  /** Starts the worker in this JVM, exactly as {@code apikeys worker} wires it. */
  public RevocationStack withWorker() {
    return withWorker(false);
  }

  /** The worker, with rotation as {@code APIKEYS_ROTATION_ENABLED} would set it. */
  public RevocationStack withWorker(boolean rotationEnabled) {
    return withWorker(workerOptions().withRotationEnabled(rotationEnabled));
  }

  /**
   * The worker with these options, on a database object of its own as a worker process has, so
   * nothing but the database itself is shared with the client side.
   */
  public RevocationStack withWorker(RevocationWorkerOptions options) {
    workerConnection = temporal.connect();
    worker =
        new RevocationWorker(
            workerConnection.client(), new ApiKeysDatabase(db.jdbi(), SELECTOR_TIMEOUT), options);
    worker.start();
    return this;
  }

  /**
   * What {@code apikeys worker} would run with on this stack: its task queue, and sticky execution
   * off, as the Java test server needs.
   */
  RevocationWorkerOptions workerOptions() {
    return RevocationWorkerOptions.forTaskQueue(temporal.taskQueue())
        .withStickyTimeout(Duration.ZERO);
  }

  /**
   * The environment a command or a worker process needs to reach this stack. A worker started with
   * it serves no {@code /metrics} or {@code /healthz}, so tests never wait on, or collide over, the
   * default port; {@link WorkerProcess} gives each of its workers a free one.
   */
  public Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put(DatabaseConfig.URL, db.jdbcUrl());
    env.put(TemporalConfig.ADDRESS, server.address());
    env.put(TemporalConfig.CONFIG_FILE, EMPTY_TEMPORAL_CONFIG.toString());
    env.put(MetricsConfig.PORT, "0");
    return env;
  }

  /** A TCP port nothing listens on right now, on the loopback interface. */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public ApiKeyStore store() {
    return database.apiKeys();
  }

  RevocationStore revocations() {
    return database.revocations();
  }

  public ApiKeyModuleService service() {
    return new ApiKeyModuleService(client.client(), store(), revocations(), temporal.taskQueue());
  }

  private static Path emptyTemporalConfig() {
    try {
      Path file = Files.createTempFile("apikeys-temporal", ".toml");
      Files.writeString(file, "[profile.default]\n");
      file.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    if (worker != null) {
      worker.close();
    }
    if (workerConnection != null) {
      workerConnection.close();
    }
    client.close();
    server.close();
  }
}
