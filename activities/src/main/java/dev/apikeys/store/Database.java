package dev.apikeys.store;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.jdbi.v3.core.ConnectionFactory;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementExceptions;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.postgresql.ds.common.BaseDataSource;
import org.postgresql.jdbc.PgConnection;

/** The one place a {@link Jdbi} is configured; a process makes one and shares it. */
public final class Database {
  private Database() {}

  /**
   * A Jdbi over the given data source. Statement exceptions carry the database's message only,
   * neither the statement nor its bound values: Jdbi's other renderings all include the values,
   * which could be tokens or salts, and exception messages end up in logs and Temporal history.
   *
   * <p>The server's own detail line ({@code Key (token)=(…)}) must stay out too, which takes
   * PgJDBC's {@code logServerErrorDetail=false}. A PgJDBC data source ({@code PGSimpleDataSource}
   * and the like) is set so here; any other, such as a pool, must have it among its connection
   * properties (for HikariCP: {@code addDataSourceProperty("logServerErrorDetail", "false")}), and
   * a connection without it is refused with an {@link IllegalStateException} that says so, before
   * any statement runs on it.
   */
  public static Jdbi jdbi(DataSource dataSource) {
    withoutServerErrorDetail(dataSource);
    return configure(Jdbi.create(new WithoutServerErrorDetail(dataSource)));
  }

  /**
   * A Jdbi over a pool, running at most {@code selectorEvaluations} selector evaluations at once
   * (see {@link SelectorConcurrency}); give fewer than the pool has connections.
   */
  public static Jdbi jdbi(DataSource pool, int selectorEvaluations) {
    Jdbi jdbi = jdbi(pool);
    jdbi.getConfig(SelectorConcurrency.class).limit(selectorEvaluations);
    return jdbi;
  }

  private static Jdbi configure(Jdbi jdbi) {
    jdbi.installPlugin(new SqlObjectPlugin());
    jdbi.installPlugin(new PostgresPlugin());
    jdbi.getConfig(StatementExceptions.class)
        .setMessageRendering(StatementExceptions.MessageRendering.NONE);
    jdbi.registerRowMapper(ApiKeyRow.class, ApiKeyRow.MAPPER);
    jdbi.registerRowMapper(ApiKeyDao.KeyWithRevocation.class, ApiKeyDao.KeyWithRevocation.MAPPER);
    jdbi.registerRowMapper(RevocationDao.KeyPageRow.class, RevocationDao.KeyPageRow.MAPPER);
    jdbi.registerRowMapper(EventOutbox.Event.class, EventOutbox.EVENT_MAPPER);
    jdbi.registerRowMapper(RotationDao.SuccessorRow.class, RotationDao.SuccessorRow.MAPPER);
    return jdbi;
  }

  private static void withoutServerErrorDetail(DataSource dataSource) {
    try {
      if (dataSource.isWrapperFor(BaseDataSource.class)) {
        dataSource.unwrap(BaseDataSource.class).setLogServerErrorDetail(false);
      }
    } catch (SQLException e) {
      // Not a PgJDBC data source after all; its connections are checked below.
    }
  }

  /** Connections from the data source, each checked to keep the server's detail lines out. */
  private static final class WithoutServerErrorDetail implements ConnectionFactory {
    private final DataSource dataSource;

    WithoutServerErrorDetail(DataSource dataSource) {
      this.dataSource = dataSource;
    }

    @Override
    public Connection openConnection() throws SQLException {
      Connection connection = dataSource.getConnection();
      boolean detail;
      try {
        detail =
            !connection.isWrapperFor(PgConnection.class)
                || connection.unwrap(PgConnection.class).getLogServerErrorDetail();
      } catch (SQLException | RuntimeException e) {
        connection.close();
        throw e;
      }
      if (detail) {
        connection.close();
        throw new IllegalStateException(
            "the DataSource given to Database.jdbi must give PgJDBC connections with"
                + " logServerErrorDetail=false, so that PostgreSQL's error details (which quote the"
                + " values of a failed row, tokens included) stay out of messages; for HikariCP:"
                + " addDataSourceProperty(\"logServerErrorDetail\", \"false\")");
      }
      return connection;
    }
  }
}
