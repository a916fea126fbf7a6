package dev.apikeys.config;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import dev.apikeys.store.Database;
import java.time.Duration;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;

/**
 * Where the API key database is, read from the environment and checked before anything runs.
 *
 * @param url a JDBC URL ({@code jdbc:postgresql://host:port/db}); user and password may be in it
 * @param user overrides the URL's user when set
 * @param password overrides the URL's password when set
 * @param selectorTimeout how long one selector query may run before it is cancelled
 * @param poolSize the most connections this process holds
 */
public record DatabaseConfig(
    String url, String user, String password, Duration selectorTimeout, int poolSize) {

  public static final String URL = "APIKEYS_DATABASE_URL";
  public static final String USER = "APIKEYS_DATABASE_USER";
  public static final String PASSWORD = "APIKEYS_DATABASE_PASSWORD";
  public static final String SELECTOR_TIMEOUT = "APIKEYS_SELECTOR_TIMEOUT";
  public static final String POOL_SIZE = "APIKEYS_DATABASE_POOL_SIZE";

  public static DatabaseConfig fromEnvironment(Map<String, String> env) {
    String url = env.get(URL);
    if (url == null || url.isBlank()) {
      throw new ConfigurationException(
          URL
              + " is not set: give a JDBC URL such as"
              + " jdbc:postgresql://localhost:5432/medusa?user=postgres");
    }
    if (!url.startsWith("jdbc:postgresql:")) {
      throw new ConfigurationException(
          URL + " must be a PostgreSQL JDBC URL starting with jdbc:postgresql:");
    }
    return new DatabaseConfig(
        url,
        blankToNull(env.get(USER)),
        blankToNull(env.get(PASSWORD)),
        Duration.ofSeconds(positiveInt(env, SELECTOR_TIMEOUT, 10)),
        positiveInt(env, POOL_SIZE, 10));
  }

  /**
   * Connections of the pool that selector evaluation never takes, so that {@code authenticate}, a
   * revocation's stamp and its undo always find one however many slow selectors are running.
   */
  static final int RESERVED_FOR_NON_SELECTOR_WORK = 2;

  /** How many selector evaluations may run at once: the pool less the reserve, at least one. */
  public int selectorEvaluations() {
    return Math.max(1, poolSize - RESERVED_FOR_NON_SELECTOR_WORK);
  }

  /** The process's one Jdbi on this pool, with selector evaluation bounded as above. */
  public Jdbi jdbi(HikariDataSource pool) {
    return Database.jdbi(pool, selectorEvaluations());
  }

  /** A pool on this database; fails at once, naming the variable, when it cannot connect. */
  public HikariDataSource openPool() {
    return openPool(poolSize);
  }

  /**
   * A pool that keeps at most {@code minimumIdle} connections open while idle. A one-shot command
   * needs one; opening the worker's ten in the background would only hold up its exit.
   */
  public HikariDataSource openPool(int minimumIdle) {
    HikariConfig hikari = new HikariConfig();
    hikari.setJdbcUrl(url);
    if (user != null) {
      hikari.setUsername(user);
    }
    if (password != null) {
      hikari.setPassword(password);
    }
    hikari.setMaximumPoolSize(poolSize);
    hikari.setMinimumIdle(Math.min(minimumIdle, poolSize));
    hikari.setPoolName("apikeys");
    hikari.setConnectionTimeout(Duration.ofSeconds(10).toMillis());
    // Server error details quote the values of a failed row, tokens included; keep them out of
    // exception messages, which reach logs and workflow history.
    hikari.addDataSourceProperty("logServerErrorDetail", "false");
    try {
      return new HikariDataSource(hikari);
    } catch (HikariPool.PoolInitializationException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new ConfigurationException(
          URL + ": cannot connect to PostgreSQL (" + firstLine(cause.getMessage()) + ")", e);
    } catch (RuntimeException e) {
      throw new ConfigurationException(URL + ": " + firstLine(e.getMessage()), e);
    }
  }

  @Override
  public String toString() {
    return "DatabaseConfig[url=<" + URL + ">, user=" + user + "]";
  }

  static int positiveInt(Map<String, String> env, String name, int defaultValue) {
    String text = env.get(name);
    if (text == null || text.isBlank()) {
      return defaultValue;
    }
    try {
      int value = Integer.parseInt(text.trim());
      if (value > 0) {
        return value;
      }
    } catch (NumberFormatException ignored) {
      // Falls through to the one error below.
    }
    throw new ConfigurationException(
        name + " must be a whole number above 0, got \"" + text + "\"");
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  public static String firstLine(String message) {
    if (message == null) {
      return "no detail";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
