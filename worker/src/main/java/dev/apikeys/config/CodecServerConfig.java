package dev.apikeys.config;

import dev.apikeys.codec.PayloadKeys;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * How {@code apikeys codec-server} runs, read from the environment and checked before it listens.
 *
 * @param address where it listens: loopback unless {@value #BIND} says otherwise, since whoever
 *     reaches the port can decrypt
 * @param token the bearer token every request must carry, if {@value #TOKEN} is set
 * @param corsOrigins the browser origins (the Temporal UI's) allowed to call it, exactly as a
 *     browser sends them in {@code Origin}: scheme, host and port, lower case, no path
 * @param namespace the Temporal namespace whose payloads these keys encrypt; a request whose {@code
 *     X-Namespace} names another is refused
 * @param keys the payload keys, the same {@code APIKEYS_CODEC_KEYS} the worker and clients use
 */
public record CodecServerConfig(
    InetSocketAddress address,
    Optional<String> token,
    List<String> corsOrigins,
    String namespace,
    PayloadKeys keys) {

  public static final String PORT = "APIKEYS_CODEC_SERVER_PORT";
  public static final String BIND = "APIKEYS_CODEC_SERVER_BIND";
  public static final String TOKEN = "APIKEYS_CODEC_SERVER_TOKEN";
  public static final String CORS_ORIGINS = "APIKEYS_CODEC_SERVER_CORS_ORIGINS";

  static final int DEFAULT_PORT = 8081;
  static final String DEFAULT_BIND = "127.0.0.1";

  @Override
  public String toString() {
    // The token and the keys stay out of any log line that prints this.
    return "CodecServerConfig[address="
        + address
        + ", token="
        + (token.isPresent() ? "set" : "unset")
        + ", corsOrigins="
        + corsOrigins
        + ", namespace="
        + namespace
        + ", keys="
        + keys
        + "]";
  }

  /** Reads and checks the configuration; a problem is one line naming the variable. */
  public static CodecServerConfig fromEnvironment(Map<String, String> env) {
    PayloadKeys keys =
        TemporalConfig.codecKeys(env)
            .orElseThrow(
                () ->
                    new ConfigurationException(
                        TemporalConfig.CODEC_KEYS
                            + " is required: the codec server decrypts with the keys the worker"
                            + " encrypts with"));
    return new CodecServerConfig(
        new InetSocketAddress(bindAddress(env), port(env)),
        token(env),
        corsOrigins(env),
        TemporalConfig.fromEnvironment(env).namespace(),
        keys);
  }

  private static int port(Map<String, String> env) {
    String text = env.get(PORT);
    if (text == null || text.isBlank()) {
      return DEFAULT_PORT;
    }
    try {
      int port = Integer.parseInt(text.strip());
      if (port >= 0 && port <= 65_535) {
        return port;
      }
    } catch (NumberFormatException ignored) {
      // Falls through to the one error below.
    }
    throw new ConfigurationException(
        PORT + " must be a port number from 0 to 65535, got \"" + text + "\"");
  }

  private static InetAddress bindAddress(Map<String, String> env) {
    String text = env.get(BIND);
    String host = text == null || text.isBlank() ? DEFAULT_BIND : text.strip();
    try {
      return InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new ConfigurationException(
          BIND
              + " must be an address of this machine, e.g. 127.0.0.1 or 0.0.0.0, got \""
              + text
              + "\"");
    }
  }

  private static Optional<String> token(Map<String, String> env) {
    String text = env.get(TOKEN);
    if (text == null || text.isEmpty()) {
      return Optional.empty();
    }
    if (text.isBlank()
        || !text.strip().equals(text)
        || text.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
      throw new ConfigurationException(
          TOKEN + " must be printable ASCII without spaces (it travels in an HTTP header)");
    }
    return Optional.of(text);
  }

  private static List<String> corsOrigins(Map<String, String> env) {
    String text = env.get(CORS_ORIGINS);
    List<String> origins = new ArrayList<>();
    if (text == null || text.isBlank()) {
      return origins;
    }
    for (String entry : text.split(",")) {
      String origin = entry.strip();
      if (origin.isEmpty()) {
        continue;
      }
      if (origin.equals("*")) {
        throw new ConfigurationException(
            CORS_ORIGINS
                + ": \"*\" would let any web page its users visit decrypt through their"
                + " browser; list the Temporal UI's origins, e.g. http://localhost:8080");
      }
      origins.add(normalizedOrigin(origin));
    }
    return List.copyOf(origins);
  }

  /**
   * {@code http://Host:8080/} as a browser sends it in {@code Origin}: {@code http://host:8080}.
   */
  private static String normalizedOrigin(String origin) {
    String invalid =
        CORS_ORIGINS
            + ": \""
            + origin
            + "\" is not an origin such as http://localhost:8080"
            + " (scheme, host and port only)";
    URI uri;
    try {
      uri = new URI(origin.endsWith("/") ? origin.substring(0, origin.length() - 1) : origin);
    } catch (URISyntaxException e) {
      throw new ConfigurationException(invalid);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    boolean bare =
        uri.getHost() != null
            && (uri.getRawPath() == null || uri.getRawPath().isEmpty())
            && uri.getRawQuery() == null
            && uri.getRawFragment() == null
            && uri.getRawUserInfo() == null;
    if (!bare || !(scheme.equals("http") || scheme.equals("https"))) {
      throw new ConfigurationException(invalid);
    }
    // Browsers leave a scheme's default port out of Origin.
    int port = uri.getPort();
    boolean defaultPort =
        port < 0
            || (scheme.equals("http") && port == 80)
            || (scheme.equals("https") && port == 443);
    return scheme
        + "://"
        + uri.getHost().toLowerCase(Locale.ROOT)
        + (defaultPort ? "" : ":" + port);
  }
}
