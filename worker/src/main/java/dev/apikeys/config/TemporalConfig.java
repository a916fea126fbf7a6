package dev.apikeys.config;

import com.uber.m3.tally.NoopScope;
import com.uber.m3.tally.Scope;
import dev.apikeys.codec.PayloadKeys;
import dev.apikeys.revocation.ApiKeysDataConverter;
import dev.apikeys.revocation.RevocationNames;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.envconfig.ClientConfigProfile;
import io.temporal.envconfig.LoadClientConfigProfileOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Where Temporal is and which task queue the revocations use, read the way every Temporal tool
 * reads it: Temporal's environment configuration ({@code TEMPORAL_ADDRESS}, {@code
 * TEMPORAL_NAMESPACE}, {@code TEMPORAL_API_KEY}, {@code TEMPORAL_TLS*}, {@code
 * TEMPORAL_GRPC_META_*}, and the profiles of its TOML file chosen by {@code TEMPORAL_PROFILE} and
 * {@code TEMPORAL_CONFIG_FILE}), plus this project's {@code APIKEYS_TASK_QUEUE} and {@code
 * APIKEYS_TEMPORAL_CONNECT_TIMEOUT}.
 *
 * <p>The profile may carry an API key and TLS material, so it is never printed: {@link #toString}
 * and {@link #describe} name only the address, namespace and task queue.
 *
 * @param stubsOptions the gRPC connection, TLS and API key included
 * @param clientOptions the namespace and this project's data converter
 * @param address where Temporal's frontend listens, as configured or the local default
 * @param namespace the namespace, as configured or {@code default}
 * @param taskQueue the task queue the worker polls and clients start revocations on
 * @param connectTimeout how long to try reaching Temporal before giving up with one line
 */
public record TemporalConfig(
    WorkflowServiceStubsOptions stubsOptions,
    WorkflowClientOptions clientOptions,
    String address,
    String namespace,
    String taskQueue,
    Duration connectTimeout,
    boolean encryptedPayloads) {

  public static final String ADDRESS = "TEMPORAL_ADDRESS";
  public static final String NAMESPACE = "TEMPORAL_NAMESPACE";
  public static final String PROFILE = "TEMPORAL_PROFILE";
  public static final String CONFIG_FILE = "TEMPORAL_CONFIG_FILE";
  public static final String TASK_QUEUE = "APIKEYS_TASK_QUEUE";
  public static final String CONNECT_TIMEOUT = "APIKEYS_TEMPORAL_CONNECT_TIMEOUT";
  public static final String CODEC_KEYS = "APIKEYS_CODEC_KEYS";

  static final String DEFAULT_ADDRESS = "localhost:7233";
  static final String DEFAULT_NAMESPACE = "default";
  private static final int DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;

  /** The SDK's own deadline for its capabilities call, kept when the connect timeout allows. */
  private static final Duration MAX_SYSTEM_INFO_WAIT = Duration.ofSeconds(5);

  /** Reads and checks the configuration; a problem is one line naming the variable. */
  public static TemporalConfig fromEnvironment(Map<String, String> env) {
    ClientConfigProfile profile = loadProfile(env);
    String address = orDefault(profile.getAddress(), DEFAULT_ADDRESS);
    String namespace = orDefault(profile.getNamespace(), DEFAULT_NAMESPACE);
    return fromProfile(
        profile.toBuilder().setAddress(address).setNamespace(namespace).build(),
        taskQueue(env),
        Duration.ofSeconds(
            DatabaseConfig.positiveInt(env, CONNECT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT_SECONDS)),
        codecKeys(env));
  }

  /**
   * A plain, unauthenticated connection to a server on this machine, for {@code apikeys dev}: no
   * TLS, no API key and no profile, whatever the surrounding shell has configured for a real
   * cluster.
   */
  public static TemporalConfig local(String address, Map<String, String> env) {
    return fromProfile(
        ClientConfigProfile.newBuilder()
            .setAddress(address)
            .setNamespace(DEFAULT_NAMESPACE)
            .build(),
        taskQueue(env),
        Duration.ofSeconds(DEFAULT_CONNECT_TIMEOUT_SECONDS),
        codecKeys(env));
  }

  /**
   * The payload encryption keys, {@value #CODEC_KEYS}={@code id:base64key[,…]}; the first encrypts,
   * all decrypt. Unset: payloads are plain JSON (and secret keys cannot be rotated).
   */
  static Optional<PayloadKeys> codecKeys(Map<String, String> env) {
    String spec = env.get(CODEC_KEYS);
    if (spec == null || spec.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(PayloadKeys.parse(spec));
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(CODEC_KEYS + ": " + e.getMessage());
    }
  }

  private static TemporalConfig fromProfile(
      ClientConfigProfile profile,
      String taskQueue,
      Duration connectTimeout,
      Optional<PayloadKeys> codecKeys) {
    WorkflowServiceStubsOptions stubs;
    try {
      stubs = profile.toWorkflowServiceStubsOptions();
    } catch (RuntimeException e) {
      // Only the TLS material can fail here: a certificate or key that cannot be read or parsed.
      throw new ConfigurationException(
          "TEMPORAL_TLS_*: cannot set up TLS for Temporal ("
              + DatabaseConfig.firstLine(rootMessage(e))
              + ")",
          e);
    }
    WorkflowClientOptions client =
        WorkflowClientOptions.newBuilder(profile.toWorkflowClientOptions())
            .setDataConverter(
                codecKeys
                    .map(ApiKeysDataConverter::newDataConverter)
                    .orElseGet(ApiKeysDataConverter::newDataConverter))
            .build();
    return new TemporalConfig(
        stubs,
        client,
        profile.getAddress(),
        profile.getNamespace(),
        taskQueue,
        connectTimeout,
        codecKeys.isPresent());
  }

  /**
   * Opens the gRPC connection and checks that Temporal answers, so an unreachable server is one
   * line naming {@value #ADDRESS} instead of a request that retries for a minute.
   */
  public TemporalConnection connect() {
    return connect(new NoopScope());
  }

  /** {@link #connect()}, with the SDK's client and worker metrics reported to {@code metrics}. */
  public TemporalConnection connect(Scope metrics) {
    probe();
    // The first call asks the server for its capabilities, with a deadline of its own; bounding
    // it by the connect timeout keeps that timeout honest.
    Duration systemInfo =
        connectTimeout.compareTo(MAX_SYSTEM_INFO_WAIT) < 0 ? connectTimeout : MAX_SYSTEM_INFO_WAIT;
    WorkflowServiceStubs stubs =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder(stubsOptions)
                .setSystemInfoTimeout(systemInfo)
                .setMetricsScope(metrics)
                .build());
    try {
      stubs.connect(connectTimeout);
    } catch (RuntimeException e) {
      stubs.shutdownNow();
      throw new ConfigurationException(
          ADDRESS
              + ": cannot reach Temporal at "
              + address
              + " within "
              + connectTimeout.toSeconds()
              + "s ("
              + ConfigurationException.clean(e.getMessage())
              + ")",
          e);
    }
    return new TemporalConnection(stubs, WorkflowClient.newInstance(stubs, clientOptions));
  }

  /**
   * Opens and closes one TCP connection to the address first. gRPC keeps retrying a refused
   * connection until the connect timeout runs out; the socket says at once that nothing listens
   * there (or that the host name is unknown), and still waits the timeout for a server that does
   * not answer at all.
   */
  private void probe() {
    int colon = address.lastIndexOf(':');
    if (colon <= 0) {
      return;
    }
    String host = address.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(address.substring(colon + 1));
    } catch (NumberFormatException notHostAndPort) {
      return;
    }
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), (int) connectTimeout.toMillis());
    } catch (UnknownHostException e) {
      throw unreachable("unknown host " + host, e);
    } catch (ConnectException e) {
      throw unreachable("connection refused", e);
    } catch (SocketTimeoutException e) {
      throw unreachable("no answer within " + connectTimeout.toSeconds() + "s", e);
    } catch (IOException | IllegalArgumentException e) {
      throw unreachable(DatabaseConfig.firstLine(e.getMessage()), e);
    }
  }

  private ConfigurationException unreachable(String why, Exception cause) {
    return new ConfigurationException(
        ADDRESS + ": cannot reach Temporal at " + address + " (" + why + ")", cause);
  }

  /** The one line the worker logs at start: nothing secret, enough to find the right cluster. */
  public String describe() {
    return "task queue "
        + taskQueue
        + ", namespace "
        + namespace
        + ", address "
        + address
        + (encryptedPayloads ? ", payloads encrypted" : "");
  }

  @Override
  public String toString() {
    return "TemporalConfig[" + describe() + "]";
  }

  private static ClientConfigProfile loadProfile(Map<String, String> env) {
    String file = env.get(CONFIG_FILE);
    if (file != null && !file.isEmpty() && !isReadableFile(file)) {
      // Temporal's loader treats a missing file as an empty one; a file named on purpose that is
      // not there is a typo, and would silently send the worker to localhost.
      throw new ConfigurationException(CONFIG_FILE + ": no readable file at " + file);
    }
    try {
      return ClientConfigProfile.load(
          LoadClientConfigProfileOptions.newBuilder().setEnvOverrides(env).build());
    } catch (IOException e) {
      throw new ConfigurationException(
          CONFIG_FILE
              + ": cannot read Temporal's client configuration"
              + (file == null || file.isEmpty() ? " from its default location" : " " + file)
              + " ("
              + DatabaseConfig.firstLine(e.getMessage())
              + ")",
          e);
    } catch (IllegalArgumentException e) {
      // The one argument the loader refuses is a profile that its file does not define.
      throw new ConfigurationException(
          PROFILE + ": " + DatabaseConfig.firstLine(e.getMessage()), e);
    } catch (RuntimeException e) {
      // The loader fails this way on a file it parsed but could not use, e.g. an empty one.
      throw new ConfigurationException(
          CONFIG_FILE
              + ": Temporal's client configuration"
              + (file == null || file.isEmpty() ? " in its default location" : " " + file)
              + " has no usable profiles ("
              + e.getClass().getSimpleName()
              + ")",
          e);
    }
  }

  private static boolean isReadableFile(String file) {
    try {
      return Files.isReadable(Path.of(file));
    } catch (InvalidPathException e) {
      return false;
    }
  }

  private static String taskQueue(Map<String, String> env) {
    String value = env.get(TASK_QUEUE);
    if (value == null || value.isEmpty()) {
      return RevocationNames.TASK_QUEUE;
    }
    if (value.isBlank() || !value.strip().equals(value)) {
      throw new ConfigurationException(
          TASK_QUEUE
              + " must be a task queue name without surrounding spaces, got \""
              + value
              + "\"");
    }
    return value;
  }

  private static String orDefault(String value, String defaultValue) {
    return value == null || value.isBlank() ? defaultValue : value;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return String.valueOf(t.getMessage());
  }
}
