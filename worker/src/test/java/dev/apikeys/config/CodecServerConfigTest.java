package dev.apikeys.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.apikeys.cli.ApiKeysCommand;
import dev.apikeys.worker.RevocationStack;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code apikeys codec-server}'s configuration: defaults, and one line naming the variable. */
class CodecServerConfigTest {
  private static final String KEYS = "k1:" + "A".repeat(43) + "=";

  private static Map<String, String> env(String... pairs) {
    Map<String, String> env = new HashMap<>();
    env.put(TemporalConfig.CONFIG_FILE, RevocationStack.EMPTY_TEMPORAL_CONFIG.toString());
    env.put(TemporalConfig.CODEC_KEYS, KEYS);
    for (int i = 0; i < pairs.length; i += 2) {
      if (pairs[i + 1] == null) {
        env.remove(pairs[i]);
      } else {
        env.put(pairs[i], pairs[i + 1]);
      }
    }
    return env;
  }

  @Test
  void defaultsToLoopbackOnPort8081WithoutTokenOrOrigins() {
    CodecServerConfig config = CodecServerConfig.fromEnvironment(env());

    assertThat(config.address()).isEqualTo(new InetSocketAddress("127.0.0.1", 8081));
    assertThat(config.token()).isEmpty();
    assertThat(config.corsOrigins()).isEmpty();
    assertThat(config.namespace()).isEqualTo("default");
    assertThat(config.keys().currentId()).isEqualTo("k1");
  }

  @Test
  void readsEveryVariable() {
    CodecServerConfig config =
        CodecServerConfig.fromEnvironment(
            env(
                CodecServerConfig.PORT,
                "9000",
                CodecServerConfig.BIND,
                "0.0.0.0",
                CodecServerConfig.TOKEN,
                "s3cr3t-t0ken",
                CodecServerConfig.CORS_ORIGINS,
                "http://LocalHost:8080/, https://temporal.example.com:443,http://ui:80",
                TemporalConfig.NAMESPACE,
                "payments"));

    assertThat(config.address()).isEqualTo(new InetSocketAddress("0.0.0.0", 9000));
    assertThat(config.token()).contains("s3cr3t-t0ken");
    // As browsers send them in Origin: lower case, no default port, no trailing slash.
    assertThat(config.corsOrigins())
        .containsExactly("http://localhost:8080", "https://temporal.example.com", "http://ui");
    assertThat(config.namespace()).isEqualTo("payments");
    assertThat(config.toString()).doesNotContain("s3cr3t-t0ken").contains("token=set");
  }

  @Test
  void aBadSettingIsOneLineNamingTheVariable() {
    assertRefused(
        env(TemporalConfig.CODEC_KEYS, null),
        "APIKEYS_CODEC_KEYS is required: the codec server decrypts with the keys the worker"
            + " encrypts with");
    assertRefused(
        env(TemporalConfig.CODEC_KEYS, "k1:short"),
        "APIKEYS_CODEC_KEYS: key k1 is not valid base64");
    assertRefused(
        env(CodecServerConfig.PORT, "http"),
        "APIKEYS_CODEC_SERVER_PORT must be a port number from 0 to 65535, got \"http\"");
    assertRefused(
        env(CodecServerConfig.PORT, "70000"),
        "APIKEYS_CODEC_SERVER_PORT must be a port number from 0 to 65535, got \"70000\"");
    assertRefused(
        env(CodecServerConfig.CORS_ORIGINS, "*"),
        "APIKEYS_CODEC_SERVER_CORS_ORIGINS: \"*\" would let any web page its users visit decrypt"
            + " through their browser; list the Temporal UI's origins, e.g. http://localhost:8080");
    assertRefused(
        env(CodecServerConfig.CORS_ORIGINS, "http://localhost:8080/namespaces"),
        "APIKEYS_CODEC_SERVER_CORS_ORIGINS: \"http://localhost:8080/namespaces\" is not an origin"
            + " such as http://localhost:8080 (scheme, host and port only)");
    assertRefused(
        env(CodecServerConfig.CORS_ORIGINS, "localhost:8080"),
        "APIKEYS_CODEC_SERVER_CORS_ORIGINS: \"localhost:8080\" is not an origin such as"
            + " http://localhost:8080 (scheme, host and port only)");
    assertRefused(
        env(CodecServerConfig.TOKEN, "two words"),
        "APIKEYS_CODEC_SERVER_TOKEN must be printable ASCII without spaces (it travels in an HTTP"
            + " header)");
  }

  @Test
  void theCommandExitsWithTheConfigurationCodeAndOneLine() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    int code =
        ApiKeysCommand.execute(
            new String[] {"codec-server"},
            env(TemporalConfig.CODEC_KEYS, null),
            new PrintWriter(out),
            new PrintWriter(err));

    assertThat(code).isEqualTo(ApiKeysCommand.ExitCodes.CONFIGURATION);
    assertThat(out.toString()).isEmpty();
    assertThat(err.toString().strip())
        .isEqualTo(
            "APIKEYS_CODEC_KEYS is required: the codec server decrypts with the keys the"
                + " worker encrypts with")
        .doesNotContain("\n");
  }

  private static void assertRefused(Map<String, String> env, String message) {
    assertThatThrownBy(() -> CodecServerConfig.fromEnvironment(env))
        .isInstanceOf(ConfigurationException.class)
        .hasMessage(message);
  }
}
