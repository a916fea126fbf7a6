package dev.apikeys.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.apikeys.client.ApiKeyModuleService;
import dev.apikeys.config.DatabaseConfig;
import dev.apikeys.config.DevConfig;
import dev.apikeys.config.MetricsConfig;
import dev.apikeys.config.TemporalConfig;
import dev.apikeys.config.TemporalConnection;
import dev.apikeys.dev.DevEnvironment;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.SharedContext;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.Database;
import dev.apikeys.store.RevocationStore;
import dev.apikeys.worker.MonitoringEndpoints;
import dev.apikeys.worker.RevocationStack;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@code apikeys dev} boots in-process on free ports, prints its instructions, revokes a key for a
 * client that follows them, serves {@code /metrics} and {@code /healthz} where it says, and stops
 * cleanly when asked, releasing every port.
 */
class DevCommandTest {
  private static final Pattern DATABASE_URL =
      Pattern.compile("export APIKEYS_DATABASE_URL='([^']+)'");
  private static final Pattern TEMPORAL_ADDRESS = Pattern.compile("export TEMPORAL_ADDRESS=(\\S+)");

  @Test
  @Timeout(120)
  void devBootsPrintsWhatToRunRevokesAndStops() throws Exception {
    int postgresPort = freePort();
    int temporalPort = freePort();
    int metricsPort = freePort();
    Map<String, String> env = new HashMap<>();
    env.put(DevConfig.POSTGRES_PORT, String.valueOf(postgresPort));
    env.put(DevConfig.TEMPORAL_PORT, String.valueOf(temporalPort));
    env.put(MetricsConfig.PORT, String.valueOf(metricsPort));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    AtomicInteger exitCode = new AtomicInteger(-1);
    Thread dev =
        new Thread(
            () ->
                exitCode.set(
                    ApiKeysCommand.execute(
                        new String[] {"dev"}, env, new PrintWriter(out), new PrintWriter(err))),
            "apikeys-dev");
    dev.start();
    try {
      String instructions = awaitReady(out, dev);
      System.out.println(instructions);
      assertThat(instructions)
          .contains("bin/apikeys create --title demo --type secret --created-by me")
          .contains("bin/apikeys revoke --id <id> --revoked-by me --revoke-in 5 --wait")
          .contains("bin/apikeys authenticate ")
          .contains(
              "temporal workflow start --address 127.0.0.1:"
                  + temporalPort
                  + " --task-queue api-keys --type RevokeApiKeysWorkflow")
          .contains("  Metrics     http://127.0.0.1:" + metricsPort + "/metrics\n")
          .contains("  Health      http://127.0.0.1:" + metricsPort + "/healthz\n");
      MonitoringEndpoints endpoints = new MonitoringEndpoints(metricsPort);
      assertThat(endpoints.awaitHealth(200).body()).isEqualTo("ok\n");
      String databaseUrl = match(DATABASE_URL, instructions);
      String temporalAddress = match(TEMPORAL_ADDRESS, instructions);
      assertThat(databaseUrl)
          .matches(
              "jdbc:postgresql://127\\.0\\.0\\.1:"
                  + postgresPort
                  + "/postgres\\?user=postgres&password=[A-Za-z0-9]{32}");
      assertThat(temporalAddress).isEqualTo("127.0.0.1:" + temporalPort);
      assertOnlyThePasswordLetsAnyoneIn(databaseUrl, postgresPort);

      // A second terminal: exactly the two exported variables, nothing else.
      Map<String, String> terminal = new HashMap<>();
      terminal.put(DatabaseConfig.URL, databaseUrl);
      terminal.put(TemporalConfig.ADDRESS, temporalAddress);
      terminal.put(TemporalConfig.CONFIG_FILE, RevocationStack.EMPTY_TEMPORAL_CONFIG.toString());
      PGSimpleDataSource dataSource = new PGSimpleDataSource();
      dataSource.setUrl(databaseUrl);
      Jdbi jdbi = Database.jdbi(dataSource);
      ApiKeyStore store = new ApiKeyStore(jdbi, Duration.ofSeconds(10));
      ApiKeyDTO key = store.createApiKey(new CreateApiKeyDTO("demo", "secret", "me"));
      try (TemporalConnection connection = TemporalConfig.fromEnvironment(terminal).connect()) {
        ApiKeyModuleService service =
            new ApiKeyModuleService(
                connection.client(),
                store,
                new RevocationStore(jdbi, Duration.ofSeconds(10)),
                "api-keys");
        RevokeResult result =
            service
                .startRevoke(
                    RevokeRequest.ofId(
                        key.id(), new RevokeApiKeyDTO("me", 1L), SharedContext.EMPTY))
                .await(Duration.ofSeconds(30));
        assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
      }
      assertThat(store.authenticate(key.token())).isEmpty();
      assertThat(endpoints.scrape().value("apikeys_revocations_stamped_total")).isEqualTo(1);
    } finally {
      dev.interrupt();
      dev.join(TimeUnit.SECONDS.toMillis(60));
    }
    assertThat(dev.isAlive()).isFalse();
    assertThat(exitCode.get()).as(err.toString()).isZero();
    assertThat(err.toString()).doesNotContain("sk_");
    assertThat(listening(temporalPort)).as("Temporal stopped").isFalse();
    assertThat(listening(postgresPort)).as("PostgreSQL stopped").isFalse();
    assertThat(listening(metricsPort)).as("/metrics and /healthz stopped").isFalse();
  }

  /**
   * Issue 14, finding 5: dev's PostgreSQL trusts no connection. Without the password, or with
   * another, nobody gets in (so no other user of the machine becomes its superuser); every pg_hba
   * rule is scram-sha-256, and the password is stored as a SCRAM verifier.
   */
  private static void assertOnlyThePasswordLetsAnyoneIn(String databaseUrl, int port)
      throws Exception {
    String withoutPassword = "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
    assertThatThrownBy(() -> DriverManager.getConnection(withoutPassword).close())
        .isInstanceOf(SQLException.class);
    assertThatThrownBy(
            () -> DriverManager.getConnection(withoutPassword + "&password=postgres").close())
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("password authentication failed");
    try (Connection c = DriverManager.getConnection(databaseUrl);
        Statement s = c.createStatement()) {
      ResultSet methods =
          s.executeQuery("select string_agg(distinct auth_method, ',') from pg_hba_file_rules");
      methods.next();
      assertThat(methods.getString(1)).isEqualTo("scram-sha-256");
      ResultSet verifier =
          s.executeQuery("select rolpassword from pg_authid where rolname = 'postgres'");
      verifier.next();
      assertThat(verifier.getString(1)).startsWith("SCRAM-SHA-256$");
    }
  }

  @Test
  @Timeout(120)
  void aKeptDataDirectoryKeepsItsPassword(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("pg");
    String first = bootAndStop(data);
    String second = bootAndStop(data);
    assertThat(second).isEqualTo(first);
    assertThat(Files.getPosixFilePermissions(data.resolve(DevEnvironment.PASSWORD_FILE)))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));

    // A cluster kept from before passwords (no password file) is refused, not trusted.
    Files.delete(data.resolve(DevEnvironment.PASSWORD_FILE));
    Map<String, String> env = new HashMap<>();
    env.put(DevConfig.POSTGRES_PORT, String.valueOf(freePort()));
    env.put(DevConfig.TEMPORAL_PORT, String.valueOf(freePort()));
    env.put(DevConfig.DATA_DIR, data.toString());
    // No /metrics: the default port may be another process's.
    env.put(MetricsConfig.PORT, "0");
    StringWriter err = new StringWriter();
    int code =
        ApiKeysCommand.execute(
            new String[] {"dev"}, env, new PrintWriter(new StringWriter()), new PrintWriter(err));
    assertThat(code).isEqualTo(ApiKeysCommand.ExitCodes.CONFIGURATION);
    assertThat(err.toString())
        .contains("APIKEYS_DEV_DATA_DIR: ")
        .contains("trusting every local connection");
  }

  /** Boots dev on a kept data directory, and returns the database URL it printed. */
  private static String bootAndStop(Path data) throws Exception {
    Map<String, String> env = new HashMap<>();
    int postgresPort = freePort();
    env.put(DevConfig.POSTGRES_PORT, String.valueOf(postgresPort));
    env.put(DevConfig.TEMPORAL_PORT, String.valueOf(freePort()));
    env.put(DevConfig.DATA_DIR, data.toString());
    // No /metrics: the default port may be another process's.
    env.put(MetricsConfig.PORT, "0");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    Thread dev =
        new Thread(
            () ->
                ApiKeysCommand.execute(
                    new String[] {"dev"}, env, new PrintWriter(out), new PrintWriter(err)),
            "apikeys-dev");
    dev.start();
    try {
      String databaseUrl = match(DATABASE_URL, awaitReady(out, dev));
      assertOnlyThePasswordLetsAnyoneIn(databaseUrl, postgresPort);
      return databaseUrl.substring(databaseUrl.indexOf("&password="));
    } finally {
      dev.interrupt();
      dev.join(TimeUnit.SECONDS.toMillis(60));
    }
  }

  @Test
  @Timeout(30)
  void aTakenPortIsOneLineNamingTheVariable() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Map<String, String> env = new HashMap<>();
      env.put(DevConfig.POSTGRES_PORT, String.valueOf(freePort()));
      env.put(DevConfig.TEMPORAL_PORT, String.valueOf(taken.getLocalPort()));
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code =
          ApiKeysCommand.execute(
              new String[] {"dev"}, env, new PrintWriter(out), new PrintWriter(err));
      assertThat(code).isEqualTo(ApiKeysCommand.ExitCodes.CONFIGURATION);
      assertThat(err.toString())
          .startsWith(
              "APIKEYS_DEV_TEMPORAL_PORT: 127.0.0.1:"
                  + taken.getLocalPort()
                  + " is already in use");
      assertThat(err.toString().lines().filter(l -> !l.contains(" INFO "))).hasSize(1);

      env.put(DevConfig.TEMPORAL_PORT, String.valueOf(freePort()));
      env.put(MetricsConfig.PORT, String.valueOf(taken.getLocalPort()));
      err = new StringWriter();
      code =
          ApiKeysCommand.execute(
              new String[] {"dev"}, env, new PrintWriter(out), new PrintWriter(err));
      assertThat(code).isEqualTo(ApiKeysCommand.ExitCodes.CONFIGURATION);
      assertThat(err.toString())
          .startsWith(
              "APIKEYS_METRICS_PORT: 127.0.0.1:" + taken.getLocalPort() + " is already in use");
      assertThat(err.toString().lines().filter(l -> !l.contains(" INFO "))).hasSize(1);
    }
    Map<String, String> env = Map.of(DevConfig.POSTGRES_PORT, "70000");
    assertThatThrownBy(() -> DevConfig.fromEnvironment(env))
        .hasMessage("APIKEYS_DEV_POSTGRES_PORT must be a TCP port from 1 to 65535, got \"70000\"");
  }

  private static String awaitReady(StringWriter out, Thread dev) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (!out.toString().contains(DevCommand.READY)) {
      if (!dev.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError("apikeys dev did not become ready; it printed:\n" + out);
      }
      Thread.sleep(100);
    }
    return out.toString();
  }

  private static String match(Pattern pattern, String text) {
    Matcher m = pattern.matcher(text);
    assertThat(m.find()).as(pattern + " in\n" + text).isTrue();
    return m.group(1);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
