package dev.apikeys.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apikeys.store.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user runs it: arguments and environment in, JSON and an exit code out. */
class ApiKeysCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TestDatabase db;
  private Map<String, String> env;

  @BeforeEach
  void setUp() {
    db = TestDatabase.createEmpty();
    env = new HashMap<>();
    env.put("APIKEYS_DATABASE_URL", db.jdbcUrl());
  }

  CliRun run(String... args) {
    return CliRun.of(env, args);
  }

  CliRun runWithInput(String stdin, String... args) {
    return CliRun.withInput(env, stdin, args);
  }

  /**
   * Issue 14, finding 7: the token comes from standard input or a file, so it shows in neither
   * {@code ps} nor shell history; as an argument it still works, with a warning.
   */
  @Test
  void authenticateReadsTheTokenFromStandardInputOrAFile(@TempDir Path dir) throws Exception {
    run("migrate");
    JsonNode key = run("create", "--title", "t", "--type", "secret", "--created-by", "u").json();
    String token = key.get("token").asText();

    CliRun piped = runWithInput(token + "\n", "authenticate");
    assertThat(piped.exitCode()).as(piped.err()).isZero();
    assertThat(piped.json().get("id").asText()).isEqualTo(key.get("id").asText());
    assertThat(piped.err()).isEmpty();

    Path file = dir.resolve("token");
    Files.writeString(file, token + "\n");
    CliRun fromFile = run("authenticate", "--token-file", file.toString());
    assertThat(fromFile.exitCode()).as(fromFile.err()).isZero();
    assertThat(fromFile.err()).isEmpty();

    CliRun positional = run("authenticate", token);
    assertThat(positional.exitCode()).isZero();
    assertThat(positional.err().strip()).isEqualTo(ApiKeysCommand.Authenticate.ARGUMENT_WARNING);

    CliRun wrong = runWithInput("sk_" + "0".repeat(64) + "\n", "authenticate");
    assertThat(wrong.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(wrong.out().strip()).isEqualTo("false");

    CliRun nothing = runWithInput("", "authenticate");
    assertThat(nothing.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(nothing.err().strip())
        .isEqualTo(
            "INVALID_DATA: no token: give it on standard input (its first line) or with --token-file");
  }

  /**
   * Issue 14, finding 3: a token typed where an id or JSON belongs is refused, and neither the
   * refusal nor a usage error repeats it on standard error.
   */
  @Test
  void noErrorRepeatsAPastedToken() {
    run("migrate");
    JsonNode key = run("create", "--title", "t", "--type", "secret", "--created-by", "u").json();
    String token = key.get("token").asText();
    String body = token.substring(3, 20);

    CliRun retrieve = run("retrieve", token);
    CliRun update = run("update", token, "--title", "x");
    CliRun delete = run("delete", token);
    CliRun notJson = run("list", "--selector", "{\"id\": " + token + "}");
    CliRun quoted = run("list", "--selector", "{\"id\": \"" + token + "\"}");
    CliRun unknownOption = run("list", "--" + token);
    CliRun extraArgument = run("retrieve", key.get("id").asText(), token);
    CliRun longId = run("retrieve", "apk_" + "y".repeat(3_000));

    assertThat(retrieve.err().strip())
        .isEqualTo(
            "INVALID_DATA: id: looks like a raw secret"
                + " token, not a key id; name the key by its id (apk_…)");
    assertThat(notJson.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.USAGE);
    assertThat(notJson.err()).startsWith("apikeys list: --selector=<json>: expected JSON");
    assertThat(quoted.err()).startsWith("INVALID_DATA: selector.id: looks like a raw secret token");
    assertThat(longId.err().strip())
        .isEqualTo("NOT_FOUND: ApiKey with id: apk_" + "y".repeat(60) + "… was not found");
    for (CliRun refused :
        List.of(retrieve, update, delete, notJson, quoted, unknownOption, extraArgument, longId)) {
      assertThat(refused.exitCode())
          .isIn(ApiKeysCommand.ExitCodes.REFUSED, ApiKeysCommand.ExitCodes.USAGE);
      assertThat(refused.err()).isNotEmpty().doesNotContain(body).doesNotContain("y".repeat(100));
      assertThat(refused.out()).doesNotContain(body);
    }
    assertThat(unknownOption.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.USAGE);
    assertThat(run("retrieve", key.get("id").asText()).json().get("title").asText()).isEqualTo("t");
  }

  @Test
  void migrateThenCreateAuthenticateRetrieveUpdateDelete() {
    CliRun migrate = run("migrate");
    assertThat(migrate.exitCode()).as(migrate.err()).isZero();
    // Pinned loosely: later migrations raise the version, and this test is about the command.
    assertThat(migrate.json().get("schema_version").asText()).matches("[1-9][0-9]*");
    // Versions are not consecutive (each line of work has its own digit), so count differently.
    assertThat(migrate.json().get("migrations_executed").asInt())
        .isPositive()
        .isLessThanOrEqualTo(migrate.json().get("schema_version").asInt());
    CliRun again = run("migrate");
    assertThat(again.json().get("migrations_executed").asInt()).isZero();
    assertThat(again.json().get("schema_version")).isEqualTo(migrate.json().get("schema_version"));

    CliRun create =
        run("create", "--title", "Backend", "--type", "secret", "--created-by", "user_1");
    assertThat(create.exitCode()).as(create.err()).isZero();
    String id = create.json().get("id").asText();
    String token = create.json().get("token").asText();
    assertThat(token).startsWith("sk_");
    assertThat(create.json().has("salt")).isFalse();

    CliRun auth = run("authenticate", token);
    assertThat(auth.exitCode()).isZero();
    assertThat(auth.json().get("id").asText()).isEqualTo(id);
    assertThat(auth.json().get("token").asText()).isEmpty();
    assertThat(auth.out()).doesNotContain(token);

    CliRun retrieve = run("retrieve", id);
    assertThat(retrieve.json().get("title").asText()).isEqualTo("Backend");
    assertThat(retrieve.json().get("revoked_at").isNull()).isTrue();

    CliRun update = run("update", id, "--title", "Renamed");
    assertThat(update.json().get("title").asText()).isEqualTo("Renamed");

    CliRun list = run("list", "--selector", "{\"title\":{\"$ilike\":\"ren%\"}}", "--count");
    assertThat(list.json().get("count").asInt()).isEqualTo(1);
    assertThat(list.json().get("api_keys").get(0).get("id").asText()).isEqualTo(id);

    CliRun deleteActive = run("delete", id);
    assertThat(deleteActive.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(deleteActive.err().strip())
        .isEqualTo("NOT_ALLOWED: Cannot delete api keys that are not revoked - " + id);
    assertThat(deleteActive.out()).isEmpty();

    db.jdbi().useHandle(h -> h.execute("update api_key set revoked_at = now() where id = ?", id));
    CliRun authRevoked = run("authenticate", token);
    assertThat(authRevoked.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(authRevoked.out().strip()).isEqualTo("false");

    CliRun delete = run("delete", id);
    assertThat(delete.exitCode()).isZero();
    assertThat(delete.json().get("deleted").asBoolean()).isTrue();
    CliRun gone = run("retrieve", id);
    assertThat(gone.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(gone.err().strip()).isEqualTo("NOT_FOUND: ApiKey with id: " + id + " was not found");
  }

  @Test
  void refusalsAreOneLineOnStandardError() {
    run("migrate");
    CliRun badType = run("create", "--title", "t", "--type", "admin", "--created-by", "u");
    assertThat(badType.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(badType.err())
        .isEqualTo(
            "INVALID_DATA: type: must be \"publishable\" or \"secret\"" + System.lineSeparator());

    CliRun badSelector =
        run("list", "--selector", "{\"$or\":[{\"title\":\"x\"},{\"revoked_at\":{\"$foo\":1}}]}");
    assertThat(badSelector.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(badSelector.err()).startsWith("INVALID_DATA: selector.$or[1].revoked_at.$foo");
    assertThat(badSelector.err().lines()).hasSize(1);

    CliRun notJson = run("list", "--selector", "{nope");
    assertThat(notJson.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.USAGE);
    assertThat(notJson.err()).startsWith("apikeys list: --selector=<json>: expected JSON");
    assertThat(notJson.err().lines()).hasSize(2).last().isEqualTo("Try 'apikeys list --help'");

    CliRun usage = run("create", "--title", "t");
    assertThat(usage.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.USAGE);
  }

  @Test
  void aMissingOrUnreachableDatabaseIsOneLineNamingTheVariable() {
    env.remove("APIKEYS_DATABASE_URL");
    CliRun missing = run("list");
    assertThat(missing.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.CONFIGURATION);
    assertThat(missing.err()).startsWith("APIKEYS_DATABASE_URL is not set");
    assertThat(missing.err().lines()).hasSize(1);

    env.put("APIKEYS_DATABASE_URL", "jdbc:postgresql://127.0.0.1:1/nothing?connectTimeout=2");
    CliRun unreachable = run("list");
    assertThat(unreachable.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.CONFIGURATION);
    assertThat(unreachable.err()).startsWith("APIKEYS_DATABASE_URL: cannot connect to PostgreSQL");
    assertThat(unreachable.err().lines()).hasSize(1);

    env.put("APIKEYS_DATABASE_URL", "mysql://localhost");
    assertThat(run("list").err()).startsWith("APIKEYS_DATABASE_URL must be a PostgreSQL JDBC URL");
  }
}
