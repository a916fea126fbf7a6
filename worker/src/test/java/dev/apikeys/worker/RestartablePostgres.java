package dev.apikeys.worker;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * An embedded PostgreSQL of a test's own that can be stopped and started again on the same port and
 * data directory, so that a pool pointed at it sees an outage and then the same database again.
 * {@link #stop()} is {@code pg_ctl stop -m fast}: open transactions are rolled back and every
 * connection is cut, as when a database server goes down.
 */
final class RestartablePostgres implements AutoCloseable {
  private final Path dataDirectory;
  private final int port;
  private EmbeddedPostgres server;

  private RestartablePostgres(Path dataDirectory, int port) {
    this.dataDirectory = dataDirectory;
    this.port = port;
  }

  static RestartablePostgres start() throws IOException {
    RestartablePostgres pg =
        new RestartablePostgres(Files.createTempDirectory("apikeys-pg-restart"), freePort());
    pg.startServer();
    return pg;
  }

  /** Stops the server; its data directory stays. */
  void stop() throws IOException {
    EmbeddedPostgres running = server;
    server = null;
    if (running != null) {
      running.close();
    }
  }

  /** Starts the server again on the same port and data directory. */
  void startAgain() throws IOException {
    if (server != null) {
      throw new IllegalStateException("already running");
    }
    startServer();
  }

  int port() {
    return port;
  }

  String jdbcUrl() {
    return "jdbc:postgresql://localhost:" + port + "/postgres";
  }

  /** An unpooled data source: every connection is a new one, so it works across a restart. */
  PGSimpleDataSource dataSource() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {"localhost"});
    ds.setPortNumbers(new int[] {port});
    ds.setDatabaseName("postgres");
    ds.setUser("postgres");
    ds.setConnectTimeout(2);
    ds.setLogServerErrorDetail(false);
    return ds;
  }

  /** A Hikari pool as {@code apikeys worker} opens one, with the given connection timeout. */
  HikariDataSource pool(Duration connectionTimeout) {
    HikariConfig hikari = new HikariConfig();
    hikari.setJdbcUrl(jdbcUrl());
    hikari.setUsername("postgres");
    hikari.setMaximumPoolSize(5);
    hikari.setPoolName("fault-test");
    hikari.setConnectionTimeout(connectionTimeout.toMillis());
    hikari.addDataSourceProperty("logServerErrorDetail", "false");
    return new HikariDataSource(hikari);
  }

  private void startServer() throws IOException {
    server =
        EmbeddedPostgres.builder()
            .setPort(port)
            .setDataDirectory(dataDirectory)
            .setCleanDataDirectory(false)
            .start();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() throws IOException {
    try {
      stop();
    } finally {
      try (Stream<Path> files = Files.walk(dataDirectory)) {
        files.sorted(Comparator.reverseOrder()).forEach(RestartablePostgres::delete);
      }
    }
  }

  private static void delete(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
