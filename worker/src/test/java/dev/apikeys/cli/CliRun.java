package dev.apikeys.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One run of the {@code apikeys} command line in this JVM, as a user sees it: the exit code and
 * everything written to standard output and standard error.
 */
public record CliRun(int exitCode, String out, String err) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Runs {@code apikeys args…} with this environment and nothing on standard input. */
  public static CliRun of(Map<String, String> env, String... args) {
    return withInput(env, "", args);
  }

  /** Runs {@code apikeys args…} with this environment and {@code stdin} on standard input. */
  static CliRun withInput(Map<String, String> env, String stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        ApiKeysCommand.execute(
            args,
            env,
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintWriter(out),
            new PrintWriter(err));
    return new CliRun(code, out.toString(), err.toString());
  }

  /** Standard output as JSON; a run that printed something else fails the test, saying what. */
  public JsonNode json() {
    try {
      return JSON.readTree(out);
    } catch (IOException e) {
      throw new AssertionError("stdout is not JSON: " + out + "\nstderr: " + err, e);
    }
  }
}
