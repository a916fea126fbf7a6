package dev.apikeys.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.apikeys.cli.ApiKeysCommand;
import dev.apikeys.metrics.ApiKeyMetrics;
import dev.apikeys.worker.RevocationStack;
import dev.apikeys.worker.WorkerMonitoring;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code APIKEYS_METRICS_PORT} and {@code APIKEYS_METRICS_BIND}: their defaults, 0 turning the
 * endpoints off, and every bad value (and a taken port) refused in one line naming the variable,
 * before the worker connects to anything.
 */
class MetricsConfigTest {

  @Test
  void defaultsToPort9464OnEveryInterface() {
    MetricsConfig config = MetricsConfig.fromEnvironment(Map.of());
    assertThat(config.port()).isEqualTo(9464);
    assertThat(config.bind().isAnyLocalAddress()).isTrue();
    assertThat(config.enabled()).isTrue();

    MetricsConfig local = MetricsConfig.fromEnvironment(Map.of(MetricsConfig.BIND, "127.0.0.1"));
    assertThat(local.bind().getHostAddress()).isEqualTo("127.0.0.1");
    // Dev mode stays on the loopback interface whatever the variable says.
    assertThat(
            MetricsConfig.loopback(Map.of(MetricsConfig.BIND, "0.0.0.0"))
                .bind()
                .isLoopbackAddress())
        .isTrue();
  }

  @Test
  void portZeroServesNothingAndReportsNowhere() {
    MetricsConfig off = MetricsConfig.fromEnvironment(Map.of(MetricsConfig.PORT, "0"));
    assertThat(off.enabled()).isFalse();
    try (WorkerMonitoring monitoring = WorkerMonitoring.start(off)) {
      assertThat(monitoring.address()).isEmpty();
      assertThat(monitoring.domainMetrics()).isSameAs(ApiKeyMetrics.NONE);
    }
  }

  @Test
  void badValuesAreOneLineNamingTheVariable() {
    for (String port : new String[] {"abc", "70000", "-1", "9464.5"}) {
      assertThatThrownBy(() -> MetricsConfig.fromEnvironment(Map.of(MetricsConfig.PORT, port)))
          .isInstanceOf(ConfigurationException.class)
          .hasMessage(
              "APIKEYS_METRICS_PORT must be a TCP port from 1 to 65535, or 0 to turn /metrics and"
                  + " /healthz off, got \""
                  + port
                  + "\"");
    }
    assertThatThrownBy(() -> MetricsConfig.fromEnvironment(Map.of(MetricsConfig.BIND, "[::1")))
        .isInstanceOf(ConfigurationException.class)
        .hasMessage(
            "APIKEYS_METRICS_BIND must be an address of this machine, e.g. 127.0.0.1 or 0.0.0.0,"
                + " got \"[::1\"");
  }

  @Test
  @Timeout(60)
  void aTakenPortStopsTheWorkerBeforeItConnects() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Map<String, String> env = new HashMap<>();
      // Nothing listens at either address: the worker must fail before it tries them.
      env.put(DatabaseConfig.URL, "jdbc:postgresql://127.0.0.1:1/none");
      env.put(TemporalConfig.ADDRESS, "127.0.0.1:1");
      env.put(TemporalConfig.CONFIG_FILE, RevocationStack.EMPTY_TEMPORAL_CONFIG.toString());
      env.put(MetricsConfig.PORT, String.valueOf(taken.getLocalPort()));
      env.put(MetricsConfig.BIND, "127.0.0.1");
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code =
          ApiKeysCommand.execute(
              new String[] {"worker"}, env, new PrintWriter(out), new PrintWriter(err));
      assertThat(code).isEqualTo(ApiKeysCommand.ExitCodes.CONFIGURATION);
      assertThat(err.toString().lines().filter(l -> !l.contains(" INFO ")))
          .containsExactly(
              "APIKEYS_METRICS_PORT: 127.0.0.1:"
                  + taken.getLocalPort()
                  + " is already in use (or"
                  + " not an address of this machine); set APIKEYS_METRICS_PORT to a free port,"
                  + " or 0 to turn /metrics and /healthz off");

      env.put(MetricsConfig.PORT, "nine");
      err = new StringWriter();
      code =
          ApiKeysCommand.execute(
              new String[] {"worker"}, env, new PrintWriter(out), new PrintWriter(err));
      assertThat(code).isEqualTo(ApiKeysCommand.ExitCodes.CONFIGURATION);
      assertThat(err.toString()).startsWith("APIKEYS_METRICS_PORT must be a TCP port");
    }
  }
}
