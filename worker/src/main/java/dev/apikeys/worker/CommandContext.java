package dev.apikeys.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.zaxxer.hikari.HikariDataSource;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.ApiKeysJson;
import dev.apikeys.model.MessageText;
import dev.apikeys.module.ApiKeyModuleService;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.RevocationStore;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;

/**
 * What every command shares: the environment it was started with, where it writes, the database
 * and the Temporal connection, each opened the first time a command needs it and closed when the
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
  private TemporalConfig temporalConfig;
  private TemporalConnection temporal;

  CommandContext(Map<String, String> env, PrintWriter out, PrintWriter err) {
    this(env, InputStream.nullInputStream(), out, err);
  }

  CommandContext(Map<String, String> env, InputStream in, PrintWriter out, PrintWriter err) {
    this.env = Map.copyOf(env);
    this.in = in;
    this.out = out;
    this.err = err;
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
      dataSource = databaseConfig().openPool();
    }
    return dataSource;
  }

  Jdbi jdbi() {
    if (jdbi == null) {
      jdbi = databaseConfig().jdbi(dataSource());
    }
    return jdbi;
  }

  ApiKeyStore store() {
    return new ApiKeyStore(jdbi(), databaseConfig().selectorTimeout());
  }

  RevocationStore revocationStore() {
    return new RevocationStore(jdbi(), databaseConfig().selectorTimeout());
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
    return new ApiKeyModuleService(
        temporal().client(), store(), revocationStore(), temporalConfig().taskQueue());
  }

  /**
   * Parses a JSON option, refusing text that is not JSON with the option's name in the message.
   * The parser's own message quotes the text it stumbled on, which may be a pasted token; it is
   * passed on scrubbed (see {@link MessageText#scrubParserMessage}).
   */
  JsonNode parseJson(String option, String text) {
    try {
      JsonNode node = json.readTree(text);
      if (node == null || node.isMissingNode()) {
        throw ApiKeyException.invalidData(option + ": not valid JSON (no content)");
      }
      return node;
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null
              ? ""
              : " at line " + e.getLocation().getLineNr() + ", column "
                  + e.getLocation().getColumnNr();
      throw ApiKeyException.invalidData(
          option + ": not valid JSON" + where + " ("
              + MessageText.scrubParserMessage(firstLine(e.getOriginalMessage())) + ")");
    }
  }

  private static String firstLine(String text) {
    return DatabaseConfig.firstLine(text);
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
