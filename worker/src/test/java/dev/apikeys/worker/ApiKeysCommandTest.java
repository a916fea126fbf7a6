package dev.apikeys.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apikeys.store.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The command line as a user runs it: arguments and environment in, JSON and an exit code out. */
class ApiKeysCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TestDatabase db;
  private Map<String, String> env;

  record Run(int exitCode, String out, String err) {
    JsonNode json() {
      try {
        return JSON.readTree(out);
      } catch (Exception e) {
        throw new AssertionError("stdout is not JSON: " + out, e);
      }
    }
  }

  @BeforeEach
  void setUp() {
    db = TestDatabase.createEmpty();
    env = new HashMap<>();
    env.put("APIKEYS_DATABASE_URL", db.jdbcUrl());
  }

  Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = ApiKeysCommand.execute(args, env, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void migrateThenCreateAuthenticateRetrieveUpdateDelete() {
    Run migrate = run("migrate");
    assertThat(migrate.exitCode()).as(migrate.err()).isZero();
    // Pinned loosely: later migrations raise the version, and this test is about the command.
    assertThat(migrate.json().get("schema_version").asText()).matches("[1-9][0-9]*");
    assertThat(migrate.json().get("migrations_executed").asInt())
        .isEqualTo(migrate.json().get("schema_version").asInt());
    Run again = run("migrate");
    assertThat(again.json().get("migrations_executed").asInt()).isZero();
    assertThat(again.json().get("schema_version")).isEqualTo(migrate.json().get("schema_version"));

    Run create = run("create", "--title", "Backend", "--type", "secret", "--created-by", "user_1");
    assertThat(create.exitCode()).as(create.err()).isZero();
    String id = create.json().get("id").asText();
    String token = create.json().get("token").asText();
    assertThat(token).startsWith("sk_");
    assertThat(create.json().has("salt")).isFalse();

    Run auth = run("authenticate", token);
    assertThat(auth.exitCode()).isZero();
    assertThat(auth.json().get("id").asText()).isEqualTo(id);
    assertThat(auth.json().get("token").asText()).isEmpty();
    assertThat(auth.out()).doesNotContain(token);

    Run retrieve = run("retrieve", id);
    assertThat(retrieve.json().get("title").asText()).isEqualTo("Backend");
    assertThat(retrieve.json().get("revoked_at").isNull()).isTrue();

    Run update = run("update", id, "--title", "Renamed");
    assertThat(update.json().get("title").asText()).isEqualTo("Renamed");

    Run list = run("list", "--selector", "{\"title\":{\"$ilike\":\"ren%\"}}", "--count");
    assertThat(list.json().get("count").asInt()).isEqualTo(1);
    assertThat(list.json().get("api_keys").get(0).get("id").asText()).isEqualTo(id);

    Run deleteActive = run("delete", id);
    assertThat(deleteActive.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(deleteActive.err().strip())
        .isEqualTo("NOT_ALLOWED: Cannot delete api keys that are not revoked - " + id);
    assertThat(deleteActive.out()).isEmpty();

    db.jdbi().useHandle(h -> h.execute("update api_key set revoked_at = now() where id = ?", id));
    Run authRevoked = run("authenticate", token);
    assertThat(authRevoked.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(authRevoked.out().strip()).isEqualTo("false");

    Run delete = run("delete", id);
    assertThat(delete.exitCode()).isZero();
    assertThat(delete.json().get("deleted").asBoolean()).isTrue();
    Run gone = run("retrieve", id);
    assertThat(gone.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(gone.err().strip()).isEqualTo("NOT_FOUND: ApiKey with id: " + id + " was not found");
  }

  @Test
  void refusalsAreOneLineOnStandardError() {
    run("migrate");
    Run badType = run("create", "--title", "t", "--type", "admin", "--created-by", "u");
    assertThat(badType.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(badType.err()).isEqualTo(
        "INVALID_DATA: type: must be \"publishable\" or \"secret\"" + System.lineSeparator());

    Run badSelector = run("list", "--selector", "{\"$or\":[{\"title\":\"x\"},{\"revoked_at\":{\"$foo\":1}}]}");
    assertThat(badSelector.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(badSelector.err()).startsWith("INVALID_DATA: selector.$or[1].revoked_at.$foo");
    assertThat(badSelector.err().lines()).hasSize(1);

    Run notJson = run("list", "--selector", "{nope");
    assertThat(notJson.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.USAGE);
    assertThat(notJson.err()).startsWith("apikeys list: --selector=<json>: expected JSON");
    assertThat(notJson.err().lines()).hasSize(2).last().isEqualTo("Try 'apikeys list --help'");

    Run usage = run("create", "--title", "t");
    assertThat(usage.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.USAGE);
  }

  @Test
  void aMissingOrUnreachableDatabaseIsOneLineNamingTheVariable() {
    env.remove("APIKEYS_DATABASE_URL");
    Run missing = run("list");
    assertThat(missing.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.CONFIGURATION);
    assertThat(missing.err()).startsWith("APIKEYS_DATABASE_URL is not set");
    assertThat(missing.err().lines()).hasSize(1);

    env.put("APIKEYS_DATABASE_URL", "jdbc:postgresql://127.0.0.1:1/nothing?connectTimeout=2");
    Run unreachable = run("list");
    assertThat(unreachable.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.CONFIGURATION);
    assertThat(unreachable.err()).startsWith("APIKEYS_DATABASE_URL: cannot connect to PostgreSQL");
    assertThat(unreachable.err().lines()).hasSize(1);

    env.put("APIKEYS_DATABASE_URL", "mysql://localhost");
    assertThat(run("list").err()).startsWith("APIKEYS_DATABASE_URL must be a PostgreSQL JDBC URL");
  }
}
