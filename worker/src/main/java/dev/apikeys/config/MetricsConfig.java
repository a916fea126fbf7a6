package dev.apikeys.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Map;

/**
 * Where {@code apikeys worker} serves {@code /metrics} and {@code /healthz}, read from the
 * environment and checked at start.
 *
 * <p>The worker listens on every interface unless {@value #BIND} says otherwise: what it serves is
 * counts, timings and a one-line readiness reason, never a key, token or payload, and the callers
 * are elsewhere (Prometheus in another container or host, a Kubernetes kubelet probing the pod's
 * address, which a loopback-only listener would refuse). Dev mode listens on 127.0.0.1 only, as
 * everything it starts does.
 *
 * @param port the TCP port; 0 turns both endpoints off
 * @param bind the address to listen on
 */
public record MetricsConfig(int port, InetAddress bind) {
  public static final String PORT = "APIKEYS_METRICS_PORT";
  public static final String BIND = "APIKEYS_METRICS_BIND";

  /** The port OpenTelemetry's Prometheus exporter uses; the SDKs' metrics are often found there. */
  static final int DEFAULT_PORT = 9464;

  public static MetricsConfig fromEnvironment(Map<String, String> env) {
    return new MetricsConfig(port(env), bind(env));
  }

  /** Dev mode's: the port from the environment, on the loopback interface whatever it says. */
  public static MetricsConfig loopback(Map<String, String> env) {
    return new MetricsConfig(port(env), InetAddress.getLoopbackAddress());
  }

  public boolean enabled() {
    return port != 0;
  }

  public InetSocketAddress socketAddress() {
    return new InetSocketAddress(bind, port);
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
        PORT
            + " must be a TCP port from 1 to 65535, or 0 to turn /metrics and /healthz off, got \""
            + text
            + "\"");
  }

  private static InetAddress bind(Map<String, String> env) {
    String text = env.get(BIND);
    if (text == null || text.isBlank()) {
      return anyAddress();
    }
    try {
      return InetAddress.getByName(text.strip());
    } catch (UnknownHostException | SecurityException e) {
      throw new ConfigurationException(
          BIND
              + " must be an address of this machine, e.g. 127.0.0.1 or 0.0.0.0, got \""
              + text
              + "\"",
          e);
    }
  }

  private static InetAddress anyAddress() {
    return new InetSocketAddress(0).getAddress();
  }
}
