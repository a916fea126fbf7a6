package dev.apikeys.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@link Database#jdbi} keeps PostgreSQL's error details, which quote a failed row's values, out of
 * exception messages whatever data source it is given: it sets PgJDBC's {@code
 * logServerErrorDetail=false} on a PgJDBC data source, and refuses the connections of any other
 * that leaves it on.
 */
class DatabaseTest {
  private static final String TOKEN = "pk_" + "ab".repeat(32);

  @Test
  void aPgJdbcDataSourceLeftAtTheDriversDefaultIsSetToLeaveDetailsOut() {
    TestDatabase db = TestDatabase.create();
    PGSimpleDataSource plain = new PGSimpleDataSource();
    plain.setUrl(db.jdbcUrl());
    assertThat(plain.getLogServerErrorDetail()).as("PgJDBC's default").isTrue();

    Jdbi jdbi = Database.jdbi(plain);
    insertKey(jdbi, "apk_01DATABASETEST0000000001");

    assertThat(plain.getLogServerErrorDetail()).isFalse();
    assertThatThrownBy(() -> insertKey(jdbi, "apk_01DATABASETEST0000000002"))
        .hasMessageContaining("duplicate key value violates unique constraint")
        .satisfies(e -> assertThat(messages(e)).doesNotContain(TOKEN).doesNotContain("Key ("));
  }

  @Test
  void anotherDataSourceThatLeavesDetailsOnIsRefusedBeforeAnyStatement() {
    TestDatabase db = TestDatabase.create();
    PGSimpleDataSource detailed = new PGSimpleDataSource();
    detailed.setUrl(db.jdbcUrl());
    Jdbi jdbi = Database.jdbi(new Opaque(detailed));
    // Database.jdbi could not reach the driver's setting through the wrapper.
    assertThat(detailed.getLogServerErrorDetail()).isTrue();

    assertThatThrownBy(() -> jdbi.withHandle(h -> h.createQuery("select 1").mapTo(int.class).one()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("logServerErrorDetail=false");
  }

  @Test
  void anotherDataSourceWithDetailsOffIsUsedAsItIs() {
    TestDatabase db = TestDatabase.create();
    PGSimpleDataSource quiet = new PGSimpleDataSource();
    quiet.setUrl(db.jdbcUrl());
    quiet.setLogServerErrorDetail(false);

    Jdbi jdbi = Database.jdbi(new Opaque(quiet));

    Integer one = jdbi.withHandle(h -> h.createQuery("select 1").mapTo(Integer.class).one());
    assertThat(one).isEqualTo(1);
  }

  private static void insertKey(Jdbi jdbi, String id) {
    jdbi.useHandle(
        h ->
            h.execute(
                "insert into api_key (id, token, salt, redacted, title, type, created_by)"
                    + " values (?, ?, '', 'pk_ab***bab', 't', 'publishable', 'u')",
                id,
                TOKEN));
  }

  private static String messages(Throwable e) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      all.append(t.getMessage()).append('\n');
    }
    return all.toString();
  }

  /** A data source that hides what it wraps, as a connection pool does. */
  private static final class Opaque implements DataSource {
    private final DataSource target;

    Opaque(DataSource target) {
      this.target = target;
    }

    @Override
    public Connection getConnection() throws SQLException {
      return target.getConnection();
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      return target.getConnection(user, password);
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() {
      return Logger.getGlobal();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }
  }
}
