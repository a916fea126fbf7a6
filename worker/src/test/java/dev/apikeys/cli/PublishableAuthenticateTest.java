package dev.apikeys.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apikeys.config.DatabaseConfig;
import dev.apikeys.store.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code apikeys authenticate pk_…} answers {@code false} with exit code 1, as Medusa's
 * authenticate does for any publishable token; {@code list --selector '{"token":"pk_…"}'} is how a
 * publishable key is looked up.
 */
class PublishableAuthenticateTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static CliRun run(Map<String, String> env, String... args) {
    return CliRun.of(env, args);
  }

  @Test
  void aPublishableTokenAnswersFalseAndIsFoundByList() throws Exception {
    TestDatabase db = TestDatabase.create();
    Map<String, String> env = Map.of(DatabaseConfig.URL, db.jdbcUrl());
    JsonNode key =
        JSON.readTree(
            run(
                    env,
                    "create",
                    "--title",
                    "storefront",
                    "--type",
                    "publishable",
                    "--created-by",
                    "u")
                .out());
    String token = key.get("token").asText();
    assertThat(token).startsWith("pk_");

    // On standard input, as the README says to give a token.
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        ApiKeysCommand.execute(
            new String[] {"authenticate"},
            env,
            new java.io.ByteArrayInputStream((token + "\n").getBytes(StandardCharsets.UTF_8)),
            new PrintWriter(out),
            new PrintWriter(err));
    CliRun auth = new CliRun(code, out.toString(), err.toString());

    assertThat(auth.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(auth.out().strip()).isEqualTo("false");
    assertThat(auth.err()).isEmpty();

    CliRun list = run(env, "list", "--selector", "{\"token\":\"" + token + "\"}");
    assertThat(list.exitCode()).as(list.err()).isZero();
    JsonNode found = JSON.readTree(list.out());
    assertThat(found).hasSize(1);
    assertThat(found.get(0).get("id").asText()).isEqualTo(key.get("id").asText());
    assertThat(found.get(0).get("token").asText()).isEqualTo(token);
  }
}
