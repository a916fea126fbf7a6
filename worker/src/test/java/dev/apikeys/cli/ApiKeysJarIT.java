package dev.apikeys.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apikeys.store.TestDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The packaged jar, started by {@code bin/apikeys} in its own process the way a user starts it,
 * against a real PostgreSQL: a key created here has Medusa's row shape, and a row Medusa wrote
 * authenticates.
 */
class ApiKeysJarIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path SCRIPT = Path.of("..", "bin", "apikeys").toAbsolutePath().normalize();

  record Result(int exitCode, String out, String err) {}

  private Result apikeys(TestDatabase db, String... args) throws IOException, InterruptedException {
    return apikeysWithInput(db, "", args);
  }

  /** The jar with {@code stdin} on its standard input, as a pipe gives it. */
  private Result apikeysWithInput(TestDatabase db, String stdin, String... args)
      throws IOException, InterruptedException {
    Path in = Files.createTempFile("apikeys", ".in");
    Files.writeString(in, stdin, StandardCharsets.UTF_8);
    Path out = Files.createTempFile("apikeys", ".out");
    Path err = Files.createTempFile("apikeys", ".err");
    ProcessBuilder pb = new ProcessBuilder();
    pb.redirectInput(in.toFile());
    pb.command().add(SCRIPT.toString());
    pb.command().addAll(List.of(args));
    pb.environment().put("APIKEYS_DATABASE_URL", db.jdbcUrl());
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Result(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  @Test
  @Timeout(300)
  void theScriptRunsTheJarAgainstPostgres() throws Exception {
    TestDatabase db = TestDatabase.createEmpty();
    Result migrate = apikeys(db, "migrate");
    assertThat(migrate.exitCode()).as(migrate.err()).isZero();

    Result create =
        apikeys(db, "create", "--title", "Jar", "--type", "secret", "--created-by", "user_9");
    assertThat(create.exitCode()).as(create.err()).isZero();
    JsonNode key = JSON.readTree(create.out());
    String token = key.get("token").asText();

    Result auth = apikeysWithInput(db, token + "\n", "authenticate");
    assertThat(auth.exitCode()).as(auth.err()).isZero();
    assertThat(auth.err()).isEmpty();
    assertThat(JSON.readTree(auth.out()).get("id").asText()).isEqualTo(key.get("id").asText());

    JsonNode vector =
        JSON.readTree(getClass().getResourceAsStream("/medusa-api-key-hashes.json"))
            .get("secret_keys")
            .get(0);
    db.jdbi()
        .useHandle(
            h ->
                h.execute(
                    "insert into api_key (id, token, salt, redacted, title, type, created_by)"
                        + " values ('apk_01MEDUSAWROTETHISROW00000', ?, ?, ?, 'medusa', 'secret', 'u')",
                    vector.get("stored_token").asText(),
                    vector.get("salt").asText(),
                    vector.get("redacted").asText()));
    Result medusa = apikeysWithInput(db, vector.get("token").asText(), "authenticate");
    assertThat(medusa.exitCode()).as(medusa.err()).isZero();
    assertThat(JSON.readTree(medusa.out()).get("id").asText())
        .isEqualTo("apk_01MEDUSAWROTETHISROW00000");
    assertThat(medusa.out() + medusa.err()).doesNotContain(vector.get("salt").asText());
  }
}
