package dev.apikeys.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where {@code apikeys dev} puts its servers, read from the environment and checked at start. Both
 * listen on 127.0.0.1 only.
 *
 * @param postgresPort the embedded PostgreSQL's port
 * @param temporalPort the Temporal test server's gRPC port
 * @param dataDirectory where PostgreSQL keeps its data across runs; empty for a temporary directory
 *     deleted on exit
 */
public record DevConfig(int postgresPort, int temporalPort, Optional<Path> dataDirectory) {
  public static final String POSTGRES_PORT = "APIKEYS_DEV_POSTGRES_PORT";
  public static final String TEMPORAL_PORT = "APIKEYS_DEV_TEMPORAL_PORT";
  public static final String DATA_DIR = "APIKEYS_DEV_DATA_DIR";

  static final int DEFAULT_POSTGRES_PORT = 54329;
  static final int DEFAULT_TEMPORAL_PORT = 7233;

  public static DevConfig fromEnvironment(Map<String, String> env) {
    return new DevConfig(
        port(env, POSTGRES_PORT, DEFAULT_POSTGRES_PORT),
        port(env, TEMPORAL_PORT, DEFAULT_TEMPORAL_PORT),
        dataDirectory(env));
  }

  private static int port(Map<String, String> env, String name, int defaultValue) {
    String text = env.get(name);
    if (text == null || text.isBlank()) {
      return defaultValue;
    }
    try {
      int port = Integer.parseInt(text.strip());
      if (port > 0 && port <= 65_535) {
        return port;
      }
    } catch (NumberFormatException ignored) {
      // Falls through to the one error below.
    }
    throw new ConfigurationException(
        name + " must be a TCP port from 1 to 65535, got \"" + text + "\"");
  }

  private static Optional<Path> dataDirectory(Map<String, String> env) {
    String text = env.get(DATA_DIR);
    if (text == null || text.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Path.of(text).toAbsolutePath());
    } catch (InvalidPathException e) {
      throw new ConfigurationException(DATA_DIR + " is not a usable path: " + e.getMessage(), e);
    }
  }
}
