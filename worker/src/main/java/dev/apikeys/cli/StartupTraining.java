package dev.apikeys.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apikeys.config.DatabaseConfig;
import dev.apikeys.config.DevConfig;
import dev.apikeys.config.TemporalConfig;
import dev.apikeys.dev.DevEnvironment;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The run that the command line's class-data archive is recorded from, at package time (see
 * worker/pom.xml and bin/apikeys): the JVM runs this with {@code -XX:ArchiveClassesAtExit} and
 * writes every class it loaded, parsed and verified, to an archive that later starts map instead of
 * loading the same classes from the jar again.
 *
 * <p>It starts what {@code apikeys dev} starts, on free loopback ports, and runs the one-shot
 * commands against it in this JVM, the refusals and usage errors included, so that the archive
 * holds what those commands load. A failure here only makes the archive smaller, never the build
 * fail: it is reported on one line and the run ends normally.
 */
public final class StartupTraining {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, String> env;

  private StartupTraining(Map<String, String> env) {
    this.env = env;
  }

  public static void main(String[] args) {
    CliLogging.configureFor(new String[] {"retrieve"});
    long started = System.nanoTime();
    try (DevEnvironment dev =
        DevEnvironment.start(new DevConfig(freePort(), freePort(), Optional.empty()), Map.of())) {
      Path noProfile = Files.createTempFile("apikeys-training", ".toml");
      try {
        Files.writeString(noProfile, "[profile.default]\n");
        Map<String, String> env = new HashMap<>();
        env.put(DatabaseConfig.URL, dev.databaseUrl());
        env.put(TemporalConfig.ADDRESS, dev.temporalAddress());
        env.put(TemporalConfig.CONFIG_FILE, noProfile.toString());
        new StartupTraining(env).commands();
      } finally {
        Files.deleteIfExists(noProfile);
      }
      System.out.printf(
          "apikeys: recorded the command line's classes in %d ms%n",
          (System.nanoTime() - started) / 1_000_000);
    } catch (Exception | AssertionError e) {
      System.out.println(
          "apikeys: warning: the class-data training run stopped early, so the command line will"
              + " start slower ("
              + Failures.clean(e.getMessage())
              + ")");
    }
  }

  private void commands() throws IOException {
    run("migrate");
    JsonNode key =
        json(run("create", "--title", "training", "--type", "secret", "--created-by", "t"));
    String id = key.get("id").asText();
    run("retrieve", id);
    run("authenticate", key.get("token").asText());
    run("authenticate", "sk_unknown");
    run("update", id, "--title", "training-renamed");
    run(
        "list",
        "--selector",
        "{\"created_by\":\"t\"}",
        "--take",
        "10",
        "--order",
        "created_at:desc");
    run("list", "--count");

    JsonNode scheduled =
        json(
            run(
                "revoke",
                "--id",
                id,
                "--revoked-by",
                "t",
                "--revoke-in",
                "3600",
                "--idempotency-key",
                "training-" + id));
    String workflowId = scheduled.get("workflow_id").asText();
    run("revocation", "status", workflowId);
    run("revocation", "reschedule", workflowId, "--revoke-in", "1800");
    run("revocation", "cancel", workflowId);
    run("revoke", "--selector", "{\"id\":\"" + id + "\"}", "--revoked-by", "t", "--wait");
    run("revocation", "result", workflowId);
    run("revocation", "revoke-now", workflowId);
    run("events", "list", "--limit", "10");
    run("events", "release", "training");
    run("delete", id);

    // The paths of refusals, usage errors and help.
    run("retrieve", id);
    run("revoke", "--id", "apk_missing", "--revoked-by", "t");
    run("revoke", "--id", id, "--revoked-by", "t", "--revoke-in", "1.5");
    run("revoke", "--selector", "{nope", "--revoked-by", "t");
    run("list", "--unknown");
    run("rotation", "run", "--id", "apk_missing");
    run();
    run("revoke", "--help");
  }

  private String run(String... args) {
    StringWriter out = new StringWriter();
    PrintWriter err = new PrintWriter(Writer.nullWriter());
    ApiKeysCommand.execute(args, env, new PrintWriter(out), err);
    return out.toString();
  }

  private static JsonNode json(String text) throws IOException {
    return JSON.readTree(text);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
