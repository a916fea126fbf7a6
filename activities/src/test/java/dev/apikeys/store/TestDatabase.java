package dev.apikeys.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A real PostgreSQL for tests: an embedded server started once per JVM, or the server named by
 * {@code APIKEYS_TEST_DATABASE_URL}. Each {@link #create()} makes a fresh, migrated database so
 * test classes never see each other's rows.
 */
public final class TestDatabase {
  public static final String URL_VARIABLE = "APIKEYS_TEST_DATABASE_URL";

  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static volatile PGSimpleDataSource server;

  private final PGSimpleDataSource dataSource;
  private final Jdbi jdbi;

  private TestDatabase(PGSimpleDataSource dataSource) {
    this.dataSource = dataSource;
    this.jdbi = Database.jdbi(dataSource);
  }

  /** A new empty database, migrated to the current schema. */
  public static TestDatabase create() {
    TestDatabase db = createEmpty();
    Migrations.migrate(db.dataSource());
    return db;
  }

  /** A new empty database with no migrations run, for tests of the migrations themselves. */
  public static TestDatabase createEmpty() {
    PGSimpleDataSource admin = server();
    String name =
        ("apikeys_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet())
            .toLowerCase(Locale.ROOT);
    try (Connection c = admin.getConnection();
        Statement s = c.createStatement()) {
      s.execute("create database " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("could not create test database " + name, e);
    }
    PGSimpleDataSource ds = copy(admin);
    ds.setDatabaseName(name);
    return new TestDatabase(ds);
  }

  public DataSource dataSource() {
    return dataSource;
  }

  public PGSimpleDataSource pgDataSource() {
    return dataSource;
  }

  public Jdbi jdbi() {
    return jdbi;
  }

  /** A JDBC URL for this database, with user and password, as a user would set it. */
  public String jdbcUrl() {
    String auth = "user=" + dataSource.getUser();
    if (dataSource.getPassword() != null && !dataSource.getPassword().isEmpty()) {
      auth += "&password=" + dataSource.getPassword();
    }
    return "jdbc:postgresql://"
        + dataSource.getServerNames()[0]
        + ":"
        + dataSource.getPortNumbers()[0]
        + "/"
        + dataSource.getDatabaseName()
        + "?"
        + auth;
  }

  private static PGSimpleDataSource server() {
    PGSimpleDataSource s = server;
    if (s == null) {
      synchronized (TestDatabase.class) {
        if (server == null) {
          server = startServer();
        }
        s = server;
      }
    }
    return s;
  }

  private static PGSimpleDataSource startServer() {
    String url = System.getenv(URL_VARIABLE);
    if (url != null && !url.isBlank()) {
      PGSimpleDataSource ds = new PGSimpleDataSource();
      ds.setUrl(url);
      ds.setLogServerErrorDetail(false);
      return ds;
    }
    try {
      // The server's own log is read into this JVM's logging by a thread of its own; terse
      // keeps the DETAIL of a constraint violation (the row's values: a stored hash, a salt) out
      // of it, so NoLeaksTest's search of the log lines does not depend on when that line lands.
      EmbeddedPostgres pg =
          EmbeddedPostgres.builder().setServerConfig("log_error_verbosity", "terse").start();
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      pg.close();
                    } catch (IOException ignored) {
                      // The JVM is going away; the data directory is a temporary one.
                    }
                  }));
      PGSimpleDataSource ds = new PGSimpleDataSource();
      ds.setServerNames(new String[] {"localhost"});
      ds.setPortNumbers(new int[] {pg.getPort()});
      ds.setUser("postgres");
      ds.setDatabaseName("postgres");
      ds.setLogServerErrorDetail(false);
      return ds;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start embedded PostgreSQL", e);
    }
  }

  private static PGSimpleDataSource copy(PGSimpleDataSource from) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(from.getServerNames());
    ds.setPortNumbers(from.getPortNumbers());
    ds.setUser(from.getUser());
    ds.setPassword(from.getPassword());
    ds.setLogServerErrorDetail(false);
    return ds;
  }
}
