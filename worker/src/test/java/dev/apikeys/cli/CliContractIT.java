package dev.apikeys.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apikeys.config.DatabaseConfig;
import dev.apikeys.config.TemporalConfig;
import dev.apikeys.config.TemporalConnection;
import dev.apikeys.sealing.TokenSeal;
import dev.apikeys.store.ApiKeysDatabase;
import dev.apikeys.store.TestDatabase;
import dev.apikeys.worker.RevocationEndToEndTest;
import dev.apikeys.worker.RevocationStack;
import dev.apikeys.worker.RevocationWorker;
import dev.apikeys.worker.RevocationWorkerOptions;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The command line's contract, through the packaged jar as a user runs it ({@code bin/apikeys}, a
 * process per command) against a worker on the port-bound test server and a real PostgreSQL: every
 * command README.md shows succeeds with JSON on stdout and nothing on stderr, and every documented
 * error path ends with its exit code and one line on stderr (two for a usage error). The error
 * examples are read from README.md itself and run as written there. No run, of any command, prints
 * a Java class name.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class CliContractIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path SCRIPT = ROOT.resolve("bin").resolve("apikeys");
  private static final String ENCRYPTED_QUEUE = "api-keys-encrypted";

  /** A fully qualified class name, or a simple one that names an exception or failure. */
  private static final Pattern JAVA_CLASS =
      Pattern.compile(
          "\\b(?:[a-z][a-z0-9_]*\\.){2,}[A-Z][A-Za-z0-9_$]*|\\b[A-Z][A-Za-z0-9]*(?:Exception|Error)\\b");

  private static RevocationStack stack;
  private static TemporalConnection encryptedConnection;
  private static RevocationWorker encryptedWorker;
  private static TestDatabase unmigrated;
  private static String codecKeys;

  record Run(List<String> args, int exitCode, String out, String err) {
    JsonNode json() {
      try {
        return JSON.readTree(out);
      } catch (IOException e) {
        throw new AssertionError("stdout of " + args + " is not JSON: " + out + "\nstderr: " + err);
      }
    }

    List<String> errLines() {
      return err.lines().toList();
    }
  }

  @BeforeAll
  static void start() {
    stack = RevocationStack.start().withWorker();
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    codecKeys = "k1:" + Base64.getEncoder().encodeToString(key);
    // A second worker on its own task queue, encrypting its payloads.
    Map<String, String> env = new HashMap<>(stack.env());
    env.put(TemporalConfig.CODEC_KEYS, codecKeys);
    env.put(TemporalConfig.TASK_QUEUE, ENCRYPTED_QUEUE);
    TemporalConfig encrypted = TemporalConfig.fromEnvironment(env);
    encryptedConnection = encrypted.connect();
    encryptedWorker =
        new RevocationWorker(
            encryptedConnection.client(),
            new ApiKeysDatabase(stack.db.jdbi(), RevocationStack.SELECTOR_TIMEOUT),
            RevocationWorkerOptions.forTaskQueue(ENCRYPTED_QUEUE)
                .withStickyTimeout(Duration.ZERO)
                .withRotationEnabled(true));
    encryptedWorker.start();
    unmigrated = TestDatabase.createEmpty();
  }

  @AfterAll
  static void stop() {
    if (encryptedWorker != null) {
      encryptedWorker.close();
      encryptedConnection.close();
    }
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void everyCommandOfTheReadmeSucceedsWithJsonOnStdoutAndNothingOnStderr() {
    ok(apikeys(Map.of(), "migrate"));
    JsonNode secret =
        ok(apikeys(
                Map.of(),
                "create",
                "--title",
                "cli",
                "--type",
                "secret",
                "--created-by",
                "cli-user"))
            .json();
    String id = secret.get("id").asText();
    String token = secret.get("token").asText();
    assertThat(token).startsWith("sk_");
    JsonNode publishable =
        ok(apikeys(
                Map.of(),
                "create",
                "--title",
                "cli-pk",
                "--type",
                "publishable",
                "--created-by",
                "cli-user"))
            .json();

    assertThat(ok(apikeys(Map.of(), "retrieve", id)).json().get("id").asText()).isEqualTo(id);
    Run auth = ok(authenticate(token));
    assertThat(auth.json().get("id").asText()).isEqualTo(id);
    assertThat(auth.out()).doesNotContain(token);
    assertThat(
            ok(apikeys(Map.of(), "update", id, "--title", "cli-renamed"))
                .json()
                .get("title")
                .asText())
        .isEqualTo("cli-renamed");
    assertThat(
            ok(apikeys(
                    Map.of(),
                    "list",
                    "--selector",
                    "{\"created_by\":\"cli-user\"}",
                    "--skip",
                    "0",
                    "--take",
                    "10",
                    "--order",
                    "created_at:desc"))
                .json())
        .hasSize(2);
    assertThat(
            ok(apikeys(Map.of(), "list", "--selector", "{\"created_by\":\"cli-user\"}", "--count"))
                .json()
                .get("count")
                .asInt())
        .isEqualTo(2);

    // Revoking, as README's "From the command line" shows it.
    String idempotencyKey = "rk-" + UUID.randomUUID();
    JsonNode scheduled =
        ok(apikeys(
                Map.of(),
                "revoke",
                "--id",
                id,
                "--revoked-by",
                "user_123",
                "--revoke-in",
                "60",
                "--idempotency-key",
                idempotencyKey))
            .json();
    String workflowId = "revoke-apikeys-" + idempotencyKey;
    assertThat(scheduled.get("workflow_id").asText()).isEqualTo(workflowId);
    assertThat(scheduled.get("status").asText()).isEqualTo("scheduled");
    assertThat(
            ok(apikeys(Map.of(), "revocation", "status", workflowId)).json().get("state").asText())
        .isEqualTo("scheduled");
    assertThat(
            ok(apikeys(Map.of(), "revocation", "reschedule", workflowId, "--revoke-in", "3600"))
                .json()
                .get("state")
                .asText())
        .isEqualTo("scheduled");
    assertThat(
            ok(apikeys(Map.of(), "revocation", "cancel", workflowId)).json().get("status").asText())
        .isEqualTo("cancelled");
    assertThat(ok(authenticate(token)).exitCode()).isZero();

    Run waited =
        apikeys(
            Map.of(),
            "revoke",
            "--selector",
            "{\"created_by\":\"cli-user\",\"type\":\"secret\"}",
            "--revoked-by",
            "admin",
            "--wait");
    assertThat(waited.exitCode()).as(waited.err()).isZero();
    assertThat(waited.json().get("status").asText()).isEqualTo("revoked");
    assertThat(waited.errLines()).singleElement().asString().startsWith("scheduled rvk_");
    String stampedWorkflow = waited.json().get("workflow_id").asText();
    assertThat(
            ok(apikeys(Map.of(), "revocation", "result", stampedWorkflow))
                .json()
                .get("status")
                .asText())
        .isEqualTo("revoked");

    Run revokedAuth = authenticate(token);
    assertThat(revokedAuth.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(revokedAuth.out().strip()).isEqualTo("false");
    assertThat(revokedAuth.err()).isEmpty();

    String pk = publishable.get("id").asText();
    JsonNode later =
        ok(apikeys(
                Map.of(),
                "revoke",
                "--id",
                pk,
                "--revoked-by",
                "ops",
                "--revoke-in",
                "300",
                "--event-group-id",
                "grp-" + pk,
                "--prevent-release-events"))
            .json();
    ok(apikeys(Map.of(), "revocation", "revoke-now", later.get("workflow_id").asText()));
    ok(apikeys(Map.of(), "revocation", "result", later.get("workflow_id").asText()));
    // Both of the group's held events: revoke-now's api_key.revocation_rescheduled and the
    // stamp's api_key.revoked.
    assertThat(
            ok(apikeys(Map.of(), "events", "release", "grp-" + pk)).json().get("released").asInt())
        .isEqualTo(2);
    assertThat(ok(apikeys(Map.of(), "events", "list", "--after", "0", "--limit", "10000")).json())
        // api_key.revoked names the key; the group's other events name their revocation.
        .anyMatch(e -> e.get("data").path("id").asText().equals(pk));

    assertThat(ok(apikeys(Map.of(), "delete", id, pk)).json().get("deleted").asBoolean()).isTrue();

    Run help = apikeys(Map.of(), "revoke", "--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.out()).contains("--revoked-by=<who>");
    assertThat(help.err()).isEmpty();
  }

  /**
   * The block of error examples in README.md's "The rest of the module (CLI)", run as written:
   * {@code $ [VAR=value…] bin/apikeys args… # exit N[, condition]} and the stderr lines that follow
   * it, where {@code …} stands for anything.
   */
  @Test
  void theReadmesErrorExamplesAreWhatTheCommandsPrint() throws Exception {
    List<Example> examples = readmeExamples();
    assertThat(examples).hasSizeGreaterThanOrEqualTo(10);
    for (Example example : examples) {
      Run run = runExample(example);
      assertThat(run.exitCode()).as("%s\n%s", example.line(), run.err()).isEqualTo(example.exit());
      assertThat(run.out()).as(example.line()).isEmpty();
      List<String> lines = run.errLines();
      assertThat(lines).as("%s\n%s", example.line(), run.err()).hasSameSizeAs(example.stderr());
      for (int i = 0; i < lines.size(); i++) {
        assertThat(lines.get(i)).as(example.line()).matches(wildcard(example.stderr().get(i)));
      }
    }
  }

  @Test
  void otherDocumentedErrorPathsAreOneLineWithTheirExitCode() {
    Run bare = apikeys(Map.of());
    assertUsage(
        bare,
        "apikeys: missing a command: migrate, create, list, retrieve, authenticate,"
            + " update, delete, revoke, revocation, rotation, events, worker, dev, codec-server",
        "apikeys");
    assertUsage(
        apikeys(Map.of(), "frob"),
        "apikeys: unknown command \"frob\"; the commands are migrate, create, list, retrieve,"
            + " authenticate, update, delete, revoke, revocation, rotation, events, worker, dev,"
            + " codec-server",
        "apikeys");
    assertUsage(
        apikeys(Map.of(), "revoke", "--id", "apk_x"),
        "apikeys revoke: missing --revoked-by=<who> (Who revokes, e.g. user_123.)",
        "apikeys revoke");
    assertUsage(
        apikeys(Map.of(), "revoke", "--revoked-by", "me"),
        "apikeys revoke: missing --id=<id> or --selector=<json> or --leaked-token-stdin",
        "apikeys revoke");
    assertUsage(
        apikeys(Map.of(), "revoke", "--id", "a", "--selector", "{}", "--revoked-by", "m"),
        "apikeys revoke: give only one of --id=<id>, --selector=<json>",
        "apikeys revoke");
    assertUsage(
        apikeys(Map.of(), "list", "--take", "many"),
        "apikeys list: --take=<n>: expected a whole number, got \"many\"",
        "apikeys list");
    assertUsage(
        apikeys(Map.of(), "retrieve"),
        "apikeys retrieve: missing ID (The key's id (apk_…).)",
        "apikeys retrieve");
    assertUsage(
        apikeys(Map.of(), "events", "list", "--limit", "0"),
        "apikeys events list: --limit=<n>: expected a number from 1 to 10000, got 0",
        "apikeys events list");
    assertUsage(
        apikeys(Map.of(), "rotation", "run", "--id", "apk_x", "--grace", "soon"),
        "apikeys rotation run: --grace=<duration>: expected a duration such as 45s, 30m, 24h or"
            + " 90d, got \"soon\"",
        "apikeys rotation run");

    oneLine(
        apikeys(Map.of(), "revoke", "--selector", "{}", "--revoked-by", "me"),
        ApiKeysCommand.ExitCodes.REFUSED,
        "INVALID_DATA: selector: an empty selector would match");
    oneLine(
        apikeys(Map.of(), "revoke", "--id", "apk_missing", "--revoked-by", "me"),
        ApiKeysCommand.ExitCodes.REFUSED,
        "NOT_FOUND: ApiKey with id \"apk_missing\" not found");
    oneLine(
        apikeys(Map.of(), "revocation", "status", "revoke-apikeys-nothing"),
        ApiKeysCommand.ExitCodes.REFUSED,
        "NOT_FOUND: no revocation workflow with id \"revoke-apikeys-nothing\"");
    JsonNode secret =
        ok(apikeys(
                Map.of(),
                "create",
                "--title",
                "r",
                "--type",
                "secret",
                "--created-by",
                "cli-rotate"))
            .json();
    oneLine(
        apikeys(Map.of(), "rotation", "run", "--id", secret.get("id").asText()),
        ApiKeysCommand.ExitCodes.REFUSED,
        "NOT_ALLOWED: rotation is off on this worker");

    Map<String, String> noDatabase = new HashMap<>();
    noDatabase.put(DatabaseConfig.URL, "");
    oneLine(
        apikeys(noDatabase, "list"),
        ApiKeysCommand.ExitCodes.CONFIGURATION,
        "APIKEYS_DATABASE_URL is not set");
    oneLine(
        apikeys(Map.of(DatabaseConfig.URL, "jdbc:postgresql://127.0.0.1:1/none"), "list"),
        ApiKeysCommand.ExitCodes.CONFIGURATION,
        "APIKEYS_DATABASE_URL: cannot connect to PostgreSQL");
    oneLine(
        apikeys(
            Map.of(TemporalConfig.CODEC_KEYS, "k1:short"),
            "revoke",
            "--id",
            "apk_x",
            "--revoked-by",
            "me"),
        ApiKeysCommand.ExitCodes.CONFIGURATION,
        "APIKEYS_CODEC_KEYS: key k1 is not valid base64");
  }

  @Test
  void theClassDataArchiveIsRecordedAtPackageTimeAndUsed() {
    assertThat(ROOT.resolve("worker/target/apikeys.jsa")).exists();
    // -Xshare:on makes a JVM that cannot map the archive fail instead of starting without it.
    Run version = apikeys(Map.of("APIKEYS_JAVA_OPTS", "-Xshare:on"), "--version");
    assertThat(version.exitCode()).as(version.err()).isZero();
    assertThat(version.out().strip()).isEqualTo("apikeys 0.1.0");
  }

  private Run runExample(Example example) throws Exception {
    Map<String, String> env = new HashMap<>();
    List<String> args = new ArrayList<>();
    String keyId = null;
    for (String word : example.words()) {
      if (args.isEmpty() && word.matches("[A-Z_]+=.*")) {
        String name = word.substring(0, word.indexOf('='));
        String value = word.substring(word.indexOf('=') + 1);
        if (value.contains("…")) {
          value =
              switch (name) {
                case DatabaseConfig.URL -> unmigrated.jdbcUrl();
                case TemporalConfig.CODEC_KEYS -> codecKeys;
                default -> throw new AssertionError("no value for " + word);
              };
        }
        env.put(name, value);
      } else if (word.equals("bin/apikeys")) {
        continue;
      } else if (word.equals("…")
          && !args.isEmpty()
          && args.get(args.size() - 1).equals("--recipient-key")) {
        args.add(TokenSeal.newKeyPair().publicKey());
      } else if (word.equals("apk_…")) {
        if (keyId == null) {
          keyId =
              ok(apikeys(
                      Map.of(),
                      "create",
                      "--title",
                      "example",
                      "--type",
                      "secret",
                      "--created-by",
                      "readme"))
                  .json()
                  .get("id")
                  .asText();
        }
        args.add(keyId);
      } else {
        args.add(word);
      }
    }
    String condition = example.condition();
    if (condition.contains("the worker on " + TemporalConfig.CODEC_KEYS)) {
      env.put(TemporalConfig.TASK_QUEUE, ENCRYPTED_QUEUE);
    }
    if (condition.contains("at once")) {
      // Were the refusal to wait for the connect timeout, this run would outlast the test's.
      env.put(TemporalConfig.CONNECT_TIMEOUT, "3600");
    }
    if (condition.contains("after the instant")) {
      return cancelAfterTheInstant(args);
    }
    return apikeys(env, args.toArray(String[]::new));
  }

  /**
   * {@code revocation cancel} reaching a revocation whose instant has passed but whose stamp has
   * not run yet: holding its row keeps the stamp waiting until the cancel is in the history.
   */
  private Run cancelAfterTheInstant(List<String> args) throws Exception {
    String id =
        ok(apikeys(
                Map.of(),
                "create",
                "--title",
                "stands",
                "--type",
                "secret",
                "--created-by",
                "readme"))
            .json()
            .get("id")
            .asText();
    // Long enough for the revoke process to exit and the lock below to be taken before the
    // instant, on a loaded machine too.
    JsonNode revoke =
        ok(apikeys(Map.of(), "revoke", "--id", id, "--revoked-by", "me", "--revoke-in", "5"))
            .json();
    String workflowId = revoke.get("workflow_id").asText();
    Instant instant = Instant.parse(revoke.get("scheduled_at").asText());
    List<String> cancelArgs = new ArrayList<>(args);
    cancelArgs.replaceAll(a -> a.equals("revoke-apikeys-…") ? workflowId : a);
    CompletableFuture<Run> cancel;
    try (Handle lock = stack.db.jdbi().open()) {
      lock.begin();
      lock.createQuery("select id from apikeys_revocation where id = :id for update")
          .bind("id", revoke.get("revocation_id").asText())
          .mapTo(String.class)
          .one();
      RevocationEndToEndTest.sleepUntil(instant.plusMillis(300));
      cancel =
          CompletableFuture.supplyAsync(() -> apikeys(Map.of(), cancelArgs.toArray(String[]::new)));
      while (stack.client.client().fetchHistory(workflowId).getEvents().stream()
          .map(HistoryEvent::getEventType)
          .noneMatch(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED::equals)) {
        assertThat(cancel)
            .as("the cancel command ended before its cancel reached the workflow")
            .isNotDone();
        Thread.sleep(50);
      }
      lock.rollback();
    }
    Run run = cancel.get(2, TimeUnit.MINUTES);
    // The revocation stands, as the refusal says.
    assertThat(
            Instant.parse(ok(apikeys(Map.of(), "retrieve", id)).json().get("revoked_at").asText()))
        .isEqualTo(instant);
    return run;
  }

  record Example(
      String line, List<String> words, int exit, String condition, List<String> stderr) {}

  static List<Example> readmeExamples() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
    int section = readme.indexOf("\n## The rest of the module (CLI)\n");
    assertThat(section).isNotNegative();
    int open = readme.indexOf("\n```sh\n$ ", section) + "\n```sh\n".length();
    int close = readme.indexOf("\n```", open);
    Pattern command = Pattern.compile("\\$ (.*?)\\s+# exit (\\d)(?:, (.*))?");
    List<Example> examples = new ArrayList<>();
    String line = null;
    List<String> words = null;
    int exit = -1;
    String condition = "";
    List<String> stderr = new ArrayList<>();
    for (String text : readme.substring(open, close).split("\n")) {
      Matcher m = command.matcher(text);
      if (m.matches()) {
        if (line != null) {
          examples.add(new Example(line, words, exit, condition, stderr));
        }
        line = text;
        words = shellWords(m.group(1));
        exit = Integer.parseInt(m.group(2));
        condition = m.group(3) == null ? "" : m.group(3);
        stderr = new ArrayList<>();
      } else {
        stderr.add(text);
      }
    }
    if (line != null) {
      examples.add(new Example(line, words, exit, condition, stderr));
    }
    return examples;
  }

  /** Words split as a POSIX shell splits them, for the plain and single-quoted words used here. */
  static List<String> shellWords(String text) {
    List<String> words = new ArrayList<>();
    StringBuilder word = null;
    boolean quoted = false;
    for (char c : text.toCharArray()) {
      if (quoted) {
        if (c == '\'') {
          quoted = false;
        } else {
          word.append(c);
        }
      } else if (c == '\'') {
        quoted = true;
        word = word == null ? new StringBuilder() : word;
      } else if (Character.isWhitespace(c)) {
        if (word != null) {
          words.add(word.toString());
          word = null;
        }
      } else {
        word = word == null ? new StringBuilder() : word;
        word.append(c);
      }
    }
    if (word != null) {
      words.add(word.toString());
    }
    return words;
  }

  private static String wildcard(String expected) {
    StringBuilder regex = new StringBuilder();
    for (String part : expected.split("…", -1)) {
      if (regex.length() > 0) {
        regex.append(".+");
      }
      regex.append(Pattern.quote(part));
    }
    return regex.toString();
  }

  private static Run ok(Run run) {
    assertThat(run.exitCode()).as("%s\nstderr: %s", run.args(), run.err()).isZero();
    assertThat(run.err()).as("stderr of %s", run.args()).isEmpty();
    run.json();
    return run;
  }

  private static void oneLine(Run run, int exitCode, String start) {
    assertThat(run.exitCode()).as("%s\n%s", run.args(), run.err()).isEqualTo(exitCode);
    assertThat(run.errLines()).as("%s", run.args()).singleElement().asString().startsWith(start);
    assertThat(run.out()).isEmpty();
  }

  private static void assertUsage(Run run, String line, String command) {
    assertThat(run.exitCode())
        .as("%s\n%s", run.args(), run.err())
        .isEqualTo(ApiKeysCommand.ExitCodes.USAGE);
    assertThat(run.errLines()).containsExactly(line, "Try '" + command + " --help'");
    assertThat(run.out()).isEmpty();
  }

  /** One {@code bin/apikeys} process with the stack's environment plus {@code extra}. */
  /**
   * {@code authenticate} as README.md gives it a token: not as an argument, which warns on stderr
   * that {@code ps} and shell history show it, but in a file.
   */
  private static Run authenticate(String token) {
    try {
      Path tokenFile = Files.createTempFile("apikeys", ".token");
      try {
        Files.writeString(tokenFile, token + "\n", StandardCharsets.UTF_8);
        return apikeys(Map.of(), "authenticate", "--token-file", tokenFile.toString());
      } finally {
        Files.delete(tokenFile);
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static Run apikeys(Map<String, String> extra, String... args) {
    try {
      Path out = Files.createTempFile("apikeys", ".out");
      Path err = Files.createTempFile("apikeys", ".err");
      ProcessBuilder pb = new ProcessBuilder();
      pb.command().add(SCRIPT.toString());
      pb.command().addAll(List.of(args));
      // Nothing of the surrounding shell's configuration applies.
      pb.environment()
          .keySet()
          .removeIf(k -> k.startsWith("APIKEYS_") || k.startsWith("TEMPORAL_"));
      pb.environment().putAll(stack.env());
      pb.environment().putAll(extra);
      pb.redirectOutput(out.toFile()).redirectError(err.toFile());
      Process p = pb.start();
      assertThat(p.waitFor(3, TimeUnit.MINUTES)).as("apikeys %s finished", List.of(args)).isTrue();
      Run run =
          new Run(
              List.of(args),
              p.exitValue(),
              Files.readString(out, StandardCharsets.UTF_8),
              Files.readString(err, StandardCharsets.UTF_8));
      Files.delete(out);
      Files.delete(err);
      assertThat(run.err())
          .as("stderr of apikeys %s", run.args())
          .doesNotContainPattern(JAVA_CLASS);
      if (run.exitCode() != 0) {
        assertThat(run.out())
            .as("stdout of apikeys %s", run.args())
            .doesNotContainPattern(JAVA_CLASS);
      }
      return run;
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
