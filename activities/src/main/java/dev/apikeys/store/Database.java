package dev.apikeys.store;

import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.reflect.ConstructorMapper;
import org.jdbi.v3.core.statement.StatementExceptions;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;

/** The one place a {@link Jdbi} is configured; a process makes one and shares it. */
public final class Database {
  private Database() {}

  /**
   * A Jdbi over the given data source. Statement exceptions carry the database's message only,
   * neither the statement nor its bound values: Jdbi's other renderings all include the values,
   * which could be tokens or salts, and exception messages end up in logs and Temporal history.
   * The data source itself must have PgJDBC's {@code logServerErrorDetail=false} so the server's
   * own "Key (token)=(…)" detail stays out too.
   */
  public static Jdbi jdbi(DataSource dataSource) {
    return configure(Jdbi.create(dataSource));
  }

  /**
   * A Jdbi over a pool, running at most {@code selectorEvaluations} selector evaluations at once
   * (see {@link SelectorConcurrency}); give fewer than the pool has connections.
   */
  public static Jdbi jdbi(DataSource pool, int selectorEvaluations) {
    Jdbi jdbi = configure(Jdbi.create(pool));
    jdbi.getConfig(SelectorConcurrency.class).limit(selectorEvaluations);
    return jdbi;
  }

  private static Jdbi configure(Jdbi jdbi) {
    jdbi.installPlugin(new SqlObjectPlugin());
    jdbi.installPlugin(new PostgresPlugin());
    jdbi.getConfig(StatementExceptions.class)
        .setMessageRendering(StatementExceptions.MessageRendering.NONE);
    jdbi.registerRowMapper(ApiKeyRow.class, ApiKeyRow.MAPPER);
    jdbi.registerRowMapper(ConstructorMapper.factory(RevocationStore.RevocationRow.class));
    return jdbi;
  }
}
