package dev.apikeys.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.worker.RevocationStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Temporal's environment configuration as the worker and the commands read it. */
class TemporalConfigTest {
  @TempDir Path dir;
  private Map<String, String> env;

  @BeforeEach
  void environment() {
    env = new HashMap<>();
    env.put(TemporalConfig.CONFIG_FILE, RevocationStack.EMPTY_TEMPORAL_CONFIG.toString());
  }

  @Test
  void nothingConfiguredMeansTheLocalDefaults() {
    TemporalConfig config = TemporalConfig.fromEnvironment(env);
    assertThat(config.address()).isEqualTo("localhost:7233");
    assertThat(config.namespace()).isEqualTo("default");
    assertThat(config.taskQueue()).isEqualTo(RevocationNames.TASK_QUEUE);
    assertThat(config.stubsOptions().getTarget()).isEqualTo("localhost:7233");
    assertThat(config.clientOptions().getNamespace()).isEqualTo("default");
    assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void aTomlProfileIsReadAndTheEnvironmentOverridesIt() throws Exception {
    Path toml = dir.resolve("temporal.toml");
    Files.writeString(
        toml,
        "[profile.default]\naddress = \"127.0.0.1:7000\"\n\n"
            + "[profile.staging]\naddress = \"staging.example:7233\"\n"
            + "namespace = \"staging-ns\"\napi_key = \"profile-secret-key\"\n");
    env.put(TemporalConfig.CONFIG_FILE, toml.toString());
    assertThat(TemporalConfig.fromEnvironment(env).address()).isEqualTo("127.0.0.1:7000");

    env.put(TemporalConfig.PROFILE, "staging");
    TemporalConfig staging = TemporalConfig.fromEnvironment(env);
    assertThat(staging.address()).isEqualTo("staging.example:7233");
    assertThat(staging.namespace()).isEqualTo("staging-ns");
    assertThat(staging.clientOptions().getNamespace()).isEqualTo("staging-ns");
    // An API key means TLS, as with every Temporal tool.
    assertThat(staging.stubsOptions().getEnableHttps()).isTrue();
    assertThat(staging.describe() + staging).doesNotContain("profile-secret-key");

    env.put(TemporalConfig.NAMESPACE, "from-env");
    env.put(TemporalConfig.ADDRESS, "10.0.0.1:7233");
    TemporalConfig overridden = TemporalConfig.fromEnvironment(env);
    assertThat(overridden.namespace()).isEqualTo("from-env");
    assertThat(overridden.address()).isEqualTo("10.0.0.1:7233");
    assertThat(overridden.describe())
        .isEqualTo("task queue api-keys, namespace from-env, address 10.0.0.1:7233");

    env.put(TemporalConfig.PROFILE, "prod");
    assertThatThrownBy(() -> TemporalConfig.fromEnvironment(env))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("TEMPORAL_PROFILE: ");
  }

  @Test
  void theTaskQueueAndTheConnectTimeoutAreOurs() {
    env.put(TemporalConfig.TASK_QUEUE, "api-keys-eu");
    env.put(TemporalConfig.CONNECT_TIMEOUT, "3");
    TemporalConfig config = TemporalConfig.fromEnvironment(env);
    assertThat(config.taskQueue()).isEqualTo("api-keys-eu");
    assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(3));

    env.put(TemporalConfig.TASK_QUEUE, " api-keys");
    assertThatThrownBy(() -> TemporalConfig.fromEnvironment(env))
        .hasMessageStartingWith("APIKEYS_TASK_QUEUE must be");
    env.remove(TemporalConfig.TASK_QUEUE);
    env.put(TemporalConfig.CONNECT_TIMEOUT, "0");
    assertThatThrownBy(() -> TemporalConfig.fromEnvironment(env))
        .hasMessageStartingWith("APIKEYS_TEMPORAL_CONNECT_TIMEOUT must be");
  }

  @Test
  void brokenTlsMaterialIsOneLineNamingTheTlsVariables() {
    env.put("TEMPORAL_TLS_CLIENT_CERT_PATH", dir.resolve("missing.pem").toString());
    env.put("TEMPORAL_TLS_CLIENT_KEY_PATH", dir.resolve("missing.key").toString());
    assertThatThrownBy(() -> TemporalConfig.fromEnvironment(env))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("TEMPORAL_TLS_*: cannot set up TLS for Temporal");
  }

  @Test
  void theWorkerSettings() {
    assertThat(WorkerConfig.fromEnvironment(Map.of()))
        .isEqualTo(new WorkerConfig(true, Optional.empty(), false, false));
    assertThat(
            WorkerConfig.fromEnvironment(
                Map.of(WorkerConfig.MIGRATE, "false", WorkerConfig.STICKY_TIMEOUT, "0")))
        .isEqualTo(new WorkerConfig(false, Optional.of(Duration.ZERO), false, false));
    assertThat(
            WorkerConfig.fromEnvironment(Map.of(WorkerConfig.STICKY_TIMEOUT, "7")).stickyTimeout())
        .contains(Duration.ofSeconds(7));
    // Rotation issues credentials: off unless the operator turns it on, spelled exactly.
    assertThat(
            WorkerConfig.fromEnvironment(Map.of("APIKEYS_ROTATION_ENABLED", "true"))
                .rotationEnabled())
        .isTrue();
    assertThat(WorkerConfig.dev(Map.of()).rotationEnabled()).isFalse();
    assertThatThrownBy(
            () -> WorkerConfig.fromEnvironment(Map.of("APIKEYS_ROTATION_ENABLED", "yes")))
        .isInstanceOf(ConfigurationException.class)
        .hasMessage("APIKEYS_ROTATION_ENABLED must be true or false, got \"yes\"");
    assertThatThrownBy(
            () -> WorkerConfig.fromEnvironment(Map.of(WorkerConfig.STICKY_TIMEOUT, "-1")))
        .hasMessageStartingWith("APIKEYS_STICKY_TIMEOUT must be");
  }

  @Test
  void theExamplesAreHostedOnlyWhenAskedForOrInDevMode() {
    assertThat(WorkerConfig.fromEnvironment(Map.of()).examples()).isFalse();
    assertThat(WorkerConfig.fromEnvironment(Map.of("APIKEYS_EXAMPLES", "true")).examples())
        .isTrue();
    assertThat(WorkerConfig.dev(Map.of()).examples()).isTrue();
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("APIKEYS_EXAMPLES", "1")))
        .isInstanceOf(ConfigurationException.class)
        .hasMessage("APIKEYS_EXAMPLES must be true or false, got \"1\"");
  }
}
