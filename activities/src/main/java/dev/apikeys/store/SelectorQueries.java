package dev.apikeys.store;

import dev.apikeys.model.ApiKeyException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementException;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

/**
 * Runs queries whose condition came from a caller's selector. Such a condition can be expensive (a
 * catastrophic {@code $re}), so each runs in a transaction with its own statement timeout, and the
 * few PostgreSQL errors that a selector alone can cause come back as INVALID_DATA; every other
 * error stays a fault, to be retried.
 */
final class SelectorQueries {
  private static final String QUERY_CANCELED = "57014";
  private static final String INVALID_REGULAR_EXPRESSION = "2201B";
  private static final String DATETIME_FIELD_OVERFLOW = "22008";
  private static final String INVALID_DATETIME_FORMAT = "22007";

  private final long timeoutMillis;

  SelectorQueries(Duration timeout) {
    this.timeoutMillis = timeout.toMillis();
  }

  /**
   * Runs {@code work} in a transaction under the statement timeout, once a permit of the Jdbi's
   * {@link SelectorConcurrency} is free; the permit is taken before the connection, so waiting for
   * one holds no connection.
   */
  <T> T inTransaction(Jdbi jdbi, HandleCallback<T, RuntimeException> work) {
    return inTransaction(jdbi, TransactionIsolationLevel.UNKNOWN, work);
  }

  /** As {@link #inTransaction(Jdbi, HandleCallback)}, at the given isolation level. */
  <T> T inTransaction(
      Jdbi jdbi, TransactionIsolationLevel isolation, HandleCallback<T, RuntimeException> work) {
    Semaphore permits = jdbi.getConfig(SelectorConcurrency.class).permits();
    if (permits != null) {
      try {
        permits.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        // A fault, not a refusal: the worker is stopping, and a retry elsewhere will run it.
        throw new IllegalStateException("interrupted while waiting to evaluate a selector", e);
      }
    }
    try {
      return jdbi.inTransaction(
          isolation,
          h -> {
            h.attach(SettingsDao.class).boundStatements(timeoutMillis);
            return work.withHandle(h);
          });
    } catch (StatementException e) {
      throw translate(e);
    } finally {
      if (permits != null) {
        permits.release();
      }
    }
  }

  /**
   * Runs {@code work} in a transaction the caller holds, under the statement timeout, and puts the
   * caller's own statement timeout back afterwards. No permit is taken: the caller's handle already
   * holds its connection.
   */
  <T> T inCallerTransaction(Handle h, HandleCallback<T, RuntimeException> work) {
    SettingsDao settings = h.attach(SettingsDao.class);
    String previous = settings.current("statement_timeout");
    try {
      settings.boundStatements(timeoutMillis);
      return work.withHandle(h);
    } catch (StatementException e) {
      throw translate(e);
    } finally {
      restoreSetting(settings, "statement_timeout", previous);
    }
  }

  /**
   * Puts a setting of the current transaction back to what it was; a transaction that a failure has
   * aborted takes no statement, and its caller must roll it back anyway.
   */
  static void restoreSetting(SettingsDao settings, String name, String value) {
    try {
      settings.setLocal(name, value);
    } catch (RuntimeException abortedTransaction) {
      // Nothing more can run in it.
    }
  }

  List<ApiKeyRow> page(Handle h, SqlCondition c, String orderBy, Integer skip, Integer take) {
    return h.attach(SelectorDao.class)
        .page(c.sql(), c.params(), orderBy, SelectorDao.Window.of(take, skip), take, skip);
  }

  long count(Handle h, SqlCondition c) {
    return h.attach(SelectorDao.class).count(c.sql(), c.params());
  }

  List<String> matchingIds(Handle h, SqlCondition c) {
    return h.attach(SelectorDao.class).matchingIds(c.sql(), c.params());
  }

  private RuntimeException translate(StatementException e) {
    String state = e.getCause() instanceof SQLException sql ? sql.getSQLState() : null;
    if (QUERY_CANCELED.equals(state)) {
      return ApiKeyException.invalidData(
          "selector: evaluating it took longer than the statement timeout of "
              + timeoutMillis
              + " ms; simplify its $re, $like or $fulltext patterns");
    }
    if (INVALID_REGULAR_EXPRESSION.equals(state)) {
      return ApiKeyException.invalidData(
          "selector: a $re pattern is not a valid PostgreSQL regular expression");
    }
    if (DATETIME_FIELD_OVERFLOW.equals(state) || INVALID_DATETIME_FORMAT.equals(state)) {
      return ApiKeyException.invalidData("selector: a timestamp is outside PostgreSQL's range");
    }
    return e;
  }
}
