package dev.apikeys.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.apikeys.config.CodecServerConfig;
import dev.apikeys.config.DatabaseConfig;
import dev.apikeys.config.MetricsConfig;
import dev.apikeys.config.TemporalConfig;
import dev.apikeys.config.TemporalConnection;
import dev.apikeys.store.ApiKeysDatabase;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * docker-compose.yml, for people who run the whole thing for real: there is no Docker engine where
 * the tests run, so this reads the file (and the Dockerfile it builds) and checks what {@code
 * docker compose up} depends on: the services, official and pinned images, published ports, health
 * checks, the start order, and the environment that wires the worker to PostgreSQL and Temporal.
 * The worker's health check command itself runs here against a real worker's {@code /healthz}.
 */
class DockerComposeFileTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path COMPOSE = ROOT.resolve("docker-compose.yml");
  private static final Path DOCKERFILE = ROOT.resolve("Dockerfile");

  private static JsonNode services;

  @BeforeAll
  static void parse() throws IOException {
    JsonNode compose = new ObjectMapper(new YAMLFactory()).readTree(COMPOSE.toFile());
    services = compose.path("services");
  }

  @Test
  void hasTheFiveServices() {
    assertThat(names(services))
        .containsExactlyInAnyOrder(
            "postgresql", "temporal", "temporal-ui", "worker", "codec-server");
  }

  @Test
  void theCodecServerRunsTheWorkersImageWithItsKeysAndServesTheUiFromTheHost() {
    JsonNode codec = service("codec-server");
    assertThat(codec.path("build")).isEqualTo(service("worker").path("build"));
    List<String> command = new ArrayList<>();
    codec.path("command").forEach(c -> command.add(c.asText()));
    assertThat(command).containsExactly("codec-server");
    // Started on request only: without keys it has nothing to decrypt and refuses to start.
    List<String> profiles = new ArrayList<>();
    codec.path("profiles").forEach(p -> profiles.add(p.asText()));
    assertThat(profiles).containsExactly("codec");

    Map<String, String> env = environment("codec-server");
    Map<String, String> worker = environment("worker");
    // The same keys as the worker, from the same variable.
    assertThat(env.get(TemporalConfig.CODEC_KEYS))
        .isEqualTo(worker.get(TemporalConfig.CODEC_KEYS))
        .contains("APIKEYS_CODEC_KEYS");
    assertThat(env.getOrDefault(TemporalConfig.NAMESPACE, "default"))
        .isEqualTo(worker.getOrDefault(TemporalConfig.NAMESPACE, "default"));
    // Reached through the published port, which only the host's loopback can reach.
    assertThat(env.get(CodecServerConfig.BIND)).isEqualTo("0.0.0.0");
    String port = env.getOrDefault(CodecServerConfig.PORT, "8081");
    assertThat(codec.path("ports")).hasSize(1);
    assertThat(codec.path("ports").get(0).asText()).isEqualTo("127.0.0.1:8081:" + port);
    assertThat(publishedContainerPorts("codec-server")).containsExactly(Integer.parseInt(port));

    // The browser calls it from the UI's page: the UI's published origin is allowed, and the UI
    // points at the host's address of the codec server whenever payloads are encrypted.
    assertThat(publishedContainerPorts("temporal-ui")).contains(8080);
    assertThat(env.get(CodecServerConfig.CORS_ORIGINS).split(","))
        .contains("http://localhost:8080");
    assertThat(environment("temporal-ui").get("TEMPORAL_CODEC_ENDPOINT"))
        .isEqualTo("${APIKEYS_CODEC_KEYS:+http://localhost:8081}");
    assertThat(healthcheck("codec-server")).contains("/dev/tcp/127.0.0.1/" + port);
  }

  @Test
  void usesOfficialPinnedImagesAndBuildsTheWorkerFromTheRepository() throws IOException {
    assertThat(image("postgresql")).startsWith("postgres:");
    assertThat(image("temporal"))
        .satisfiesAnyOf(
            i -> assertThat(i).startsWith("temporalio/auto-setup:"),
            i -> assertThat(i).startsWith("temporalio/server:"));
    assertThat(image("temporal-ui")).startsWith("temporalio/ui:");
    for (String service : List.of("postgresql", "temporal", "temporal-ui")) {
      String tag = image(service).substring(image(service).indexOf(':') + 1);
      assertThat(tag).as("%s's image tag", service).isNotBlank().isNotEqualTo("latest");
    }

    JsonNode build = service("worker").path("build");
    String context = build.isTextual() ? build.asText() : build.path("context").asText();
    assertThat(context).as("worker build context").isIn(".", "./");
    if (build.has("dockerfile")) {
      assertThat(build.get("dockerfile").asText()).isEqualTo("Dockerfile");
    }
    assertThat(service("worker").has("image")).as("worker is built, not pulled").isFalse();
    assertThat(DOCKERFILE).isRegularFile();
  }

  @Test
  void theDockerfileBuildsTheJarAndItsEntrypointRunsIt() throws IOException {
    String dockerfile = Files.readString(DOCKERFILE);
    List<String> entrypoint = execForm(dockerfile, "ENTRYPOINT");
    assertThat(entrypoint).as("the last ENTRYPOINT, in exec form").hasSize(3);
    assertThat(entrypoint.subList(0, 2)).containsExactly("java", "-jar");
    String jar = entrypoint.get(2);
    assertThat(jar).endsWith(".jar");

    // The jar the entrypoint runs is the shaded one the build stage packaged.
    Matcher copy =
        Pattern.compile("(?m)^COPY\\s+--from=\\S+\\s+(\\S+)\\s+" + Pattern.quote(jar) + "\\s*$")
            .matcher(dockerfile);
    assertThat(copy.find()).as("COPY --from=<build> … %s", jar).isTrue();
    assertThat(copy.group(1)).endsWith("/worker/target/apikeys.jar");
    assertThat(dockerfile).containsPattern("(?m)^RUN mvn .*\\bpackage\\b");

    // `worker` is the command, from the compose file or the image.
    List<String> command = new ArrayList<>();
    service("worker").path("command").forEach(c -> command.add(c.asText()));
    if (command.isEmpty() && service("worker").path("command").isTextual()) {
      command.add(service("worker").path("command").asText());
    }
    if (command.isEmpty()) {
      command.addAll(execForm(dockerfile, "CMD"));
    }
    assertThat(command).containsExactly("worker");
  }

  @Test
  void theWorkersHealthCheckAsksItsHealthzWithoutStartingASecondJvm() {
    int port = metricsPort();
    assertThat(port).as("the worker serves /healthz").isPositive();
    List<String> test = healthcheckTest("worker");
    assertThat(test.get(0)).isEqualTo("CMD");
    assertThat(String.join(" ", test))
        .contains("/dev/tcp/127.0.0.1/" + port)
        .contains("GET /healthz ")
        .doesNotContain("java");
    // Published on the host's loopback interface only, for a scrape from the host.
    assertThat(publishedContainerPorts("worker")).contains(port);
  }

  /**
   * The health check's command, run as Docker runs it (with the port a test worker listens on): it
   * passes while {@code /healthz} answers 200 and fails while it answers 503.
   */
  @Test
  @Timeout(120)
  void theHealthCheckCommandPassesOnlyWhileTheWorkerIsReady() throws Exception {
    int port = RevocationStack.freePort();
    List<String> command = healthcheckTest("worker").subList(1, healthcheckTest("worker").size());
    List<String> probe = new ArrayList<>();
    for (String part : command) {
      probe.add(part.replace("/dev/tcp/127.0.0.1/" + metricsPort(), "/dev/tcp/127.0.0.1/" + port));
    }
    Map<String, String> env = Map.of(MetricsConfig.PORT, String.valueOf(port));
    try (RevocationStack stack = RevocationStack.start();
        WorkerMonitoring monitoring = WorkerMonitoring.start(MetricsConfig.loopback(env));
        TemporalConnection connection = stack.temporal.connect(monitoring.temporalScope());
        RevocationWorker worker =
            new RevocationWorker(
                connection.client(),
                new ApiKeysDatabase(
                    stack.db.jdbi(), RevocationStack.SELECTOR_TIMEOUT, monitoring.domainMetrics()),
                stack.workerOptions());
        Readiness readiness =
            new Readiness(
                worker,
                connection.stubs(),
                stack.temporal.address(),
                stack.db.dataSource(),
                stack.db.jdbi())) {
      // Listening, but the worker does not poll yet: 503.
      assertThat(run(probe)).isNotZero();
      worker.start();
      monitoring.serveReadiness(readiness);
      assertThat(run(probe)).isZero();
    }
    // Nothing listens any more.
    assertThat(run(probe)).isNotZero();
  }

  @Test
  void publishesPostgresqlTemporalAndTheUi() {
    assertThat(publishedContainerPorts("postgresql")).contains(5432);
    assertThat(publishedContainerPorts("temporal")).contains(7233);
    assertThat(publishedContainerPorts("temporal-ui")).contains(8080);
  }

  /**
   * Issue 14, finding 5: nothing is published beyond this machine. The Temporal frontend and UI
   * have no authentication in this file, and PostgreSQL holds the keys' hashes.
   */
  @Test
  void publishesOnTheLoopbackInterfaceOnly() {
    for (String name : names(services)) {
      for (JsonNode port : service(name).path("ports")) {
        String hostIp =
            port.isObject()
                ? port.path("host_ip").asText("")
                : port.asText().split("/")[0].split(":").length == 3
                    ? port.asText().split(":")[0]
                    : "";
        assertThat(hostIp).as("%s publishes %s on", name, port).isEqualTo("127.0.0.1");
      }
    }
  }

  private static final Pattern REQUIRED_VARIABLE = Pattern.compile("\\$\\{([A-Z0-9_]+):\\?[^}]+}");

  /**
   * Issue 14, finding 5: the database credentials come from an env file ({@code .env}, which
   * compose reads itself, documented by {@code .env.example}), are required (compose refuses to
   * start without them), and are kept out of git and of the image's build context.
   */
  @Test
  void takesTheDatabaseCredentialsFromTheEnvFile() throws IOException {
    Map<String, String> credentials = new LinkedHashMap<>();
    credentials.put("postgresql POSTGRES_USER", environment("postgresql").get("POSTGRES_USER"));
    credentials.put(
        "postgresql POSTGRES_PASSWORD", environment("postgresql").get("POSTGRES_PASSWORD"));
    credentials.put("temporal POSTGRES_USER", environment("temporal").get("POSTGRES_USER"));
    credentials.put("temporal POSTGRES_PWD", environment("temporal").get("POSTGRES_PWD"));
    credentials.put(
        "worker " + DatabaseConfig.USER, environment("worker").get(DatabaseConfig.USER));
    credentials.put(
        "worker " + DatabaseConfig.PASSWORD, environment("worker").get(DatabaseConfig.PASSWORD));
    String example = Files.readString(ROOT.resolve(".env.example"));
    credentials.forEach(
        (where, value) -> {
          Matcher m = REQUIRED_VARIABLE.matcher(value == null ? "" : value);
          assertThat(m.matches())
              .as("%s is a required ${VARIABLE:?…} from .env, got %s", where, value)
              .isTrue();
          assertThat(example)
              .as(".env.example documents %s", m.group(1))
              .containsPattern("(?m)^" + m.group(1) + "=");
        });
    assertThat(Files.readString(COMPOSE))
        .doesNotContainPattern("(?m)PASSWORD: *postgres\\b")
        .doesNotContainPattern("(?m)POSTGRES_PWD: *postgres\\b");
    assertThat(Files.readAllLines(ROOT.resolve(".gitignore"))).contains(".env");
    assertThat(Files.readAllLines(ROOT.resolve(".dockerignore"))).contains(".env");
  }

  @Test
  void everyServiceButTheUiHasAHealthCheck() {
    for (String name : names(services)) {
      if (name.equals("temporal-ui")) {
        continue;
      }
      assertThat(healthcheck(name)).as("%s's healthcheck test", name).isNotBlank();
      assertThat(service(name).path("healthcheck").path("disable").asBoolean(false)).isFalse();
    }
    assertThat(healthcheck("postgresql")).contains("pg_isready");
    // The Temporal server listens on the container's address, not on the loopback interface.
    assertThat(healthcheck("temporal"))
        .contains("temporal:7233")
        .doesNotContain("127.0.0.1")
        .doesNotContain("localhost");
  }

  @Test
  void startsInOrderOnceWhatEachNeedsIsHealthy() {
    assertThat(healthyDependencies("worker")).contains("postgresql", "temporal");
    assertThat(healthyDependencies("temporal")).contains("postgresql");
    assertThat(dependencies("temporal-ui")).contains("temporal");
    // A dependency that must be healthy has a health check to be healthy by.
    for (String name : names(services)) {
      for (String dependency : healthyDependencies(name)) {
        assertThat(healthcheck(dependency))
            .as("%s waits for %s to be healthy", name, dependency)
            .isNotBlank();
      }
    }
  }

  @Test
  void theWorkerIsWiredToTheDatabaseAndToTemporal() {
    Map<String, String> postgres = environment("postgresql");
    Map<String, String> worker = environment("worker");
    String user = postgres.getOrDefault("POSTGRES_USER", "postgres");
    String password = postgres.get("POSTGRES_PASSWORD");
    String database = postgres.getOrDefault("POSTGRES_DB", user);
    assertThat(password).as("POSTGRES_PASSWORD").isNotBlank();

    String url = worker.get(DatabaseConfig.URL);
    assertThat(url).as(DatabaseConfig.URL).startsWith("jdbc:postgresql://");
    URI uri = URI.create(url.substring("jdbc:".length()));
    assertThat(uri.getHost()).isEqualTo("postgresql");
    assertThat(uri.getPort()).isIn(-1, 5432);
    assertThat(uri.getPath()).isEqualTo("/" + database);
    assertThat(worker.get(DatabaseConfig.USER)).isEqualTo(user);
    assertThat(worker.get(DatabaseConfig.PASSWORD)).isEqualTo(password);

    assertThat(worker.get(TemporalConfig.ADDRESS)).isEqualTo("temporal:7233");
    assertThat(environment("temporal-ui").get("TEMPORAL_ADDRESS")).isEqualTo("temporal:7233");
    assertThat(worker.getOrDefault(TemporalConfig.NAMESPACE, "default")).isEqualTo("default");
    assertThat(worker).doesNotContainKey(TemporalConfig.TASK_QUEUE);
  }

  @Test
  void temporalUsesThePostgresqlServiceAndGetsItsDatabasesCreated() {
    Map<String, String> postgres = environment("postgresql");
    Map<String, String> temporal = environment("temporal");
    String user = postgres.getOrDefault("POSTGRES_USER", "postgres");
    assertThat(temporal.get("DB")).isIn("postgres12", "postgres12_pgx");
    assertThat(temporal.get("POSTGRES_SEEDS")).isEqualTo("postgresql");
    assertThat(temporal.getOrDefault("DB_PORT", "5432")).isEqualTo("5432");
    assertThat(temporal.get("POSTGRES_USER")).isEqualTo(user);
    assertThat(temporal.get("POSTGRES_PWD")).isEqualTo(postgres.get("POSTGRES_PASSWORD"));

    if (image("temporal").startsWith("temporalio/auto-setup:")) {
      // auto-setup creates a database only when its name differs from the user's, assuming the
      // postgres image created the one named after the user; that holds only without POSTGRES_DB.
      String created = postgres.getOrDefault("POSTGRES_DB", user);
      boolean skipCreate = Boolean.parseBoolean(temporal.getOrDefault("SKIP_DB_CREATE", "false"));
      for (String database :
          List.of(
              temporal.getOrDefault("DBNAME", "temporal"),
              temporal.getOrDefault("VISIBILITY_DBNAME", "temporal_visibility"))) {
        boolean createdBySetup = !database.equals(user) && !skipCreate;
        boolean createdByImage = database.equals(created);
        assertThat(createdBySetup || createdByImage)
            .as(
                "Temporal's database %s is created by auto-setup or by the postgres image",
                database)
            .isTrue();
      }
      // The worker's tables do not share Temporal's databases.
      assertThat(created)
          .isNotIn(
              temporal.getOrDefault("DBNAME", "temporal"),
              temporal.getOrDefault("VISIBILITY_DBNAME", "temporal_visibility"));
    }
  }

  @Test
  void theReadmeDocumentsDockerComposeUp() throws IOException {
    assertThat(Files.readString(ROOT.resolve("README.md"))).contains("docker compose up");
  }

  /** The port the worker serves /metrics and /healthz on, as its environment sets it. */
  private static int metricsPort() {
    String port = environment("worker").getOrDefault(MetricsConfig.PORT, "9464");
    return Integer.parseInt(port);
  }

  private static List<String> healthcheckTest(String name) {
    List<String> parts = new ArrayList<>();
    service(name).path("healthcheck").path("test").forEach(p -> parts.add(p.asText()));
    return parts;
  }

  private static int run(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getInputStream().transferTo(OutputStream.nullOutputStream());
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the health check did not finish: " + command);
    }
    return process.exitValue();
  }

  private static JsonNode service(String name) {
    JsonNode service = services.path(name);
    assertThat(service.isObject()).as("service %s", name).isTrue();
    return service;
  }

  private static List<String> names(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static String image(String name) {
    return service(name).path("image").asText();
  }

  /** The healthcheck's test as one string, whichever of its forms the file uses. */
  private static String healthcheck(String name) {
    JsonNode test = service(name).path("healthcheck").path("test");
    if (test.isTextual()) {
      return test.asText();
    }
    List<String> parts = new ArrayList<>();
    test.forEach(p -> parts.add(p.asText()));
    if (!parts.isEmpty() && parts.get(0).equals("NONE")) {
      return "";
    }
    return String.join(" ", parts);
  }

  /** The container ports published on the host, from the short or the long syntax. */
  private static List<Integer> publishedContainerPorts(String name) {
    List<Integer> ports = new ArrayList<>();
    for (JsonNode port : service(name).path("ports")) {
      if (port.isObject()) {
        if (port.hasNonNull("published")) {
          ports.add(port.path("target").asInt());
        }
      } else {
        // [host_ip:]host_port:container_port[/protocol]
        String[] parts = port.asText().split("/")[0].split(":");
        if (parts.length >= 2) {
          ports.add(Integer.parseInt(parts[parts.length - 1]));
        }
      }
    }
    return ports;
  }

  private static List<String> dependencies(String name) {
    JsonNode dependsOn = service(name).path("depends_on");
    if (dependsOn.isArray()) {
      List<String> names = new ArrayList<>();
      dependsOn.forEach(d -> names.add(d.asText()));
      return names;
    }
    return names(dependsOn);
  }

  private static List<String> healthyDependencies(String name) {
    JsonNode dependsOn = service(name).path("depends_on");
    List<String> healthy = new ArrayList<>();
    if (dependsOn.isObject()) {
      dependsOn
          .fields()
          .forEachRemaining(
              e -> {
                if (e.getValue().path("condition").asText().equals("service_healthy")) {
                  healthy.add(e.getKey());
                }
              });
    }
    return healthy;
  }

  /** A service's environment, from the map or the list syntax. */
  private static Map<String, String> environment(String name) {
    JsonNode env = service(name).path("environment");
    Map<String, String> values = new LinkedHashMap<>();
    if (env.isObject()) {
      env.fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue().asText()));
    } else {
      for (JsonNode entry : env) {
        String[] kv = entry.asText().split("=", 2);
        values.put(kv[0], kv.length > 1 ? kv[1] : "");
      }
    }
    return values;
  }

  /** The arguments of the Dockerfile's last instruction of this kind, which must be exec form. */
  private static List<String> execForm(String dockerfile, String instruction) throws IOException {
    Matcher m = Pattern.compile("(?m)^" + instruction + "\\s+(\\[.*])\\s*$").matcher(dockerfile);
    String last = null;
    while (m.find()) {
      last = m.group(1);
    }
    assertThat(last).as("%s in exec form in the Dockerfile", instruction).isNotNull();
    List<String> args = new ArrayList<>();
    new ObjectMapper().readTree(last).forEach(a -> args.add(a.asText()));
    return args;
  }
}
