package dev.apikeys.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.zaxxer.hikari.HikariDataSource;
import dev.apikeys.activities.RevocationReconciler;
import dev.apikeys.client.ApiKeyModuleService;
import dev.apikeys.config.DatabaseConfig;
import dev.apikeys.config.TemporalConfig;
import dev.apikeys.config.TemporalConnection;
import dev.apikeys.metrics.ApiKeyMetrics;
import dev.apikeys.model.ApiKeysJson;
import dev.apikeys.model.MessageText;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.ApiKeysDatabase;
import dev.apikeys.store.Database;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;

/**
 * What every command shares: the environment it was started with, where it writes, the database and
 * the Temporal connection, each opened the first time a command needs it and closed when the
 * command ends.
 */
final class CommandContext implements AutoCloseable {
  private final Map<String, String> env;
  private final InputStream in;
  private final PrintWriter out;
  private final PrintWriter err;
  private final ObjectMapper json =
      ApiKeysJson.newObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private DatabaseConfig databaseConfig;
  private HikariDataSource dataSource;
  private Jdbi jdbi;
  private ApiKeysDatabase database;
  private TemporalConfig temporalConfig;
  private TemporalConnection temporal;

  /** Whether the command runs once and exits (every command but {@code worker} and {@code dev}). */
  private final boolean oneShot;

  CommandContext(Map<String, String> env, PrintWriter out, PrintWriter err, boolean oneShot) {
    this(env, InputStream.nullInputStream(), out, err, oneShot);
  }

  CommandContext(
      Map<String, String> env, InputStream in, PrintWriter out, PrintWriter err, boolean oneShot) {
    this.env = Map.copyOf(env);
    this.in = in;
    this.out = out;
    this.err = err;
    this.oneShot = oneShot;
  }

  Map<String, String> env() {
    return env;
  }

  /** What the command reads a secret from (a token, sealed tokens) rather than its arguments. */
  InputStream in() {
    return in;
  }

  PrintWriter out() {
    return out;
  }

  PrintWriter err() {
    return err;
  }

  DatabaseConfig databaseConfig() {
    if (databaseConfig == null) {
      databaseConfig = DatabaseConfig.fromEnvironment(env);
    }
    return databaseConfig;
  }

  HikariDataSource dataSource() {
    if (dataSource == null) {
      dataSource = oneShot ? databaseConfig().openPool(1) : databaseConfig().openPool();
    }
    return dataSource;
  }

  /**
   * The process's Jdbi. It connects on its first statement, not before: {@code revoke} and the
   * {@code revocation} commands hand it to the module but never use it on the caller's side.
   */
  Jdbi jdbi() {
    if (jdbi == null) {
      DatabaseConfig config = databaseConfig();
      jdbi = Database.jdbi(new OpenOnFirstUse(this::dataSource), config.selectorEvaluations());
    }
    return jdbi;
  }

  /**
   * The process's database: its Jdbi, stores and outbox, built on first use and shared by every use
   * after it. Its stores report to no metrics; {@code worker} builds it with {@link
   * #database(ApiKeyMetrics)} first.
   */
  ApiKeysDatabase database() {
    return database(ApiKeyMetrics.NONE);
  }

  /**
   * The process's database, built on this first call with {@code metrics}; a later call returns the
   * same one whatever it passes.
   */
  ApiKeysDatabase database(ApiKeyMetrics metrics) {
    if (database == null) {
      database = new ApiKeysDatabase(jdbi(), databaseConfig().selectorTimeout(), metrics);
    }
    return database;
  }

  ApiKeyStore store() {
    return database().apiKeys();
  }

  TemporalConfig temporalConfig() {
    if (temporalConfig == null) {
      temporalConfig = TemporalConfig.fromEnvironment(env);
    }
    return temporalConfig;
  }

  /** The connection to Temporal, checked to answer before the first request goes out. */
  TemporalConnection temporal() {
    if (temporal == null) {
      temporal = temporalConfig().connect();
    }
    return temporal;
  }

  /**
   * The module as a Java application would use it. Both configurations are read before either
   * connection opens, so a missing variable is reported before anything waits on a network.
   */
  ApiKeyModuleService moduleService() {
    databaseConfig();
    temporalConfig();
    ApiKeysDatabase database = database();
    return new ApiKeyModuleService(
        temporal().client(),
        database.apiKeys(),
        database.revocations(),
        temporalConfig().taskQueue());
  }

  /** The reconciler, on this process's Temporal client and database. */
  RevocationReconciler reconciler() {
    databaseConfig();
    temporalConfig();
    ApiKeysDatabase database = database();
    return new RevocationReconciler(
        temporal().client(),
        database.revocations(),
        temporalConfig().taskQueue(),
        database.metrics());
  }

  /**
   * Parses a JSON option, refusing text that is not JSON with the option's name in the message. The
   * parser's own message quotes the text it stumbled on, which may be a pasted token; it is passed
   * on scrubbed (see {@link MessageText#scrubParserMessage}).
   */
  JsonNode parseJson(String option, String text) {
    try {
      JsonNode node = json.readTree(text);
      if (node == null || node.isMissingNode()) {
        throw new UsageException(option + "=<json>: expected JSON, got nothing");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new UsageException(
          option
              + "=<json>: expected JSON, e.g. '{\"type\":\"secret\"}' ("
              + MessageText.scrubParserMessage(DatabaseConfig.firstLine(e.getOriginalMessage()))
              + ")");
    }
  }

  void print(Object value) {
    try {
      out.println(json.writeValueAsString(value));
      out.flush();
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("could not write the result as JSON", e);
    }
  }

  @Override
  public void close() {
    if (temporal != null) {
      temporal.close();
    }
    if (dataSource != null) {
      dataSource.close();
    }
  }
}
