package dev.apikeys.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apikeys.config.TemporalConfig;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.security.LeakScan;
import dev.apikeys.worker.RevocationStack;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code apikeys revoke --leaked-token-stdin} as an operator or a secret scanner runs it: tokens on
 * standard input, JSON and an exit code out, against a worker on the port-bound test server.
 */
class RevokeLeakedTokenCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String UNKNOWN = "sk_" + "0123456789abcdef".repeat(4);

  private static RevocationStack stack;
  private Map<String, String> env;

  @BeforeAll
  static void start() {
    stack = RevocationStack.start().withWorker();
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @BeforeEach
  void environment() {
    env = new HashMap<>(stack.env());
  }

  private CliRun run(String stdin, String... args) {
    return CliRun.withInput(env, stdin, args);
  }

  private CliRun leaked(String stdin, String... more) {
    List<String> args = new ArrayList<>(List.of("revoke", "--leaked-token-stdin"));
    args.addAll(List.of(more));
    return run(stdin, args.toArray(String[]::new));
  }

  private static ApiKeyDTO secret(String title) {
    return stack.store().createApiKey(new CreateApiKeyDTO(title, "secret", "user_1"));
  }

  @Test
  @Timeout(60)
  void oneTokenRevokesItsKeyAtOnceAndTheAnswerNamesTheKeyNotTheToken() throws Exception {
    ApiKeyDTO key = secret("pasted in a chat");

    CliRun revoke = leaked(key.token() + "\n", "--revoked-by", "security");

    assertThat(revoke.exitCode()).as(revoke.err()).isZero();
    assertThat(revoke.err()).isEmpty();
    JsonNode answer = revoke.json();
    assertThat(answer.get("found").asBoolean()).isTrue();
    assertThat(answer.get("already_revoked").asBoolean()).isFalse();
    assertThat(answer.get("revoked").asBoolean()).isTrue();
    assertThat(answer.get("id").asText()).isEqualTo(key.id());
    assertThat(answer.get("revocation").get("key_count").asInt()).isEqualTo(1);
    assertThat(revoke.out()).doesNotContain(key.token()).doesNotContain(key.token().substring(3));
    JsonNode row = run("", "retrieve", key.id()).json();
    assertThat(row.get("revoked_by").asText()).isEqualTo("security");
    assertThat(row.get("revoked_at").asText()).isEqualTo(answer.get("revoked_at").asText());
    CliRun auth = run(key.token() + "\n", "authenticate");
    assertThat(auth.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);

    // Given again, the key is found already revoked and nothing more is done.
    CliRun again = leaked(key.token(), "--revoked-by", "security");
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(again.json()).isEqualTo(JSON.readTree("{\"found\":true,\"already_revoked\":true}"));
    String workflowId = answer.get("revocation").get("workflow_id").asText();
    assertThat(
            LeakScan.hits(
                Map.of(
                    "history of " + workflowId,
                    LeakScan.text(stack.client.client().fetchHistory(workflowId))),
                LeakScan.token(key.id(), key.token())))
        .isEmpty();
  }

  @Test
  @Timeout(60)
  void anyOtherTextIsAnsweredWithExitCodeZeroAndChangesNothing() throws Exception {
    ApiKeyDTO bystander = secret("bystander");

    CliRun unknown = leaked(UNKNOWN + "\n", "--revoked-by", "scanner");
    CliRun text = leaked("  this is not a token  \n", "--revoked-by", "scanner");
    CliRun publishable =
        leaked(
            stack
                .store()
                .createApiKey(new CreateApiKeyDTO("storefront", "publishable", "u"))
                .token(),
            "--revoked-by",
            "scanner");

    for (CliRun r : List.of(unknown, text, publishable)) {
      assertThat(r.exitCode()).as(r.err()).isZero();
      assertThat(r.err()).isEmpty();
    }
    assertThat(unknown.json()).isEqualTo(JSON.readTree("{\"found\":false}"));
    assertThat(text.json()).isEqualTo(JSON.readTree("{\"found\":false,\"malformed\":true}"));
    assertThat(publishable.json().get("publishable").asBoolean()).isTrue();
    assertThat(publishable.json().get("revoked").asBoolean()).isFalse();
    assertThat(run(bystander.token(), "authenticate").exitCode()).isZero();
  }

  /**
   * A scanner's batch: a hundred leaked tokens, blank lines between some, one unknown and one given
   * twice. One revocation of a hundred keys; each line answered by its number and redacted form; no
   * raw token in the answer, on stderr, or in any workflow history.
   */
  @Test
  @Timeout(180)
  void aHundredTokensInOneCallAreOneRevocationOfAHundredKeys() throws Exception {
    List<CreateApiKeyDTO> create =
        new ArrayList<>(
            Collections.nCopies(
                100, new CreateApiKeyDTO("leaked in a repository", "secret", "ci")));
    List<ApiKeyDTO> keys = stack.store().createApiKeys(create);
    StringBuilder input = new StringBuilder();
    Map<Integer, ApiKeyDTO> keyOfLine = new LinkedHashMap<>();
    int line = 0;
    for (int i = 0; i < keys.size(); i++) {
      if (i % 10 == 0) {
        input.append("\n");
        line++;
      }
      input.append(keys.get(i).token()).append("\r\n");
      keyOfLine.put(++line, keys.get(i));
    }
    input.append(UNKNOWN).append("\n").append(keys.get(7).token()).append("\n\n");
    int unknownLine = line + 1;
    keyOfLine.put(line + 2, keys.get(7));

    CliRun revoke = leaked(input.toString(), "--revoked-by", "scanner", "--revoke-in", "0");

    assertThat(revoke.exitCode()).as(revoke.err()).isZero();
    assertThat(revoke.err()).isEmpty();
    JsonNode answer = revoke.json();
    JsonNode tokens = answer.get("tokens");
    assertThat(tokens).hasSize(102);
    for (JsonNode t : tokens) {
      int at = t.get("line").asInt();
      if (at == unknownLine) {
        assertThat(t.toString())
            .isEqualTo("{\"line\":" + at + ",\"redacted\":\"sk_012***def\",\"found\":false}");
        continue;
      }
      ApiKeyDTO key = keyOfLine.get(at);
      assertThat(key).as("line %d answers a key's line", at).isNotNull();
      assertThat(t.get("redacted").asText()).isEqualTo(key.redacted());
      assertThat(t.get("id").asText()).isEqualTo(key.id());
      assertThat(t.get("revoked").asBoolean()).as("line %d", at).isTrue();
    }
    JsonNode revocation = answer.get("revocation");
    assertThat(revocation.get("key_count").asInt()).isEqualTo(100);
    String revocationId = revocation.get("revocation_id").asText();
    String[] ids = keys.stream().map(ApiKeyDTO::id).toArray(String[]::new);
    List<String> revocationsOfTheKeys =
        stack
            .db
            .jdbi()
            .withHandle(
                h ->
                    h.createQuery(
                            "select distinct revocation_id from apikeys_revocation_key where api_key_id = any(:ids)")
                        .bind("ids", ids)
                        .mapTo(String.class)
                        .list());
    assertThat(revocationsOfTheKeys).containsExactly(revocationId);
    String reason =
        stack
            .db
            .jdbi()
            .withHandle(
                h ->
                    h.createQuery("select reason from apikeys_revocation where id = :id")
                        .bind("id", revocationId)
                        .mapTo(String.class)
                        .one());
    assertThat(reason).isEqualTo("leaked");
    int revokedNow =
        stack
            .db
            .jdbi()
            .withHandle(
                h ->
                    h.createQuery(
                            "select count(*) from api_key where id = any(:ids) and revoked_by = 'scanner'"
                                + " and revoked_at <= now()")
                        .bind("ids", ids)
                        .mapTo(Integer.class)
                        .one());
    assertThat(revokedNow).isEqualTo(100);

    Map<String, String> secrets = new LinkedHashMap<>();
    keys.forEach(k -> secrets.putAll(LeakScan.token(k.id(), k.token())));
    Map<String, String> outputs = Map.of("stdout", revoke.out(), "stderr", revoke.err());
    assertThat(LeakScan.hits(outputs, secrets)).isEmpty();
    Map<String, String> histories = LeakScan.histories(stack.client.client());
    assertThat(histories.keySet())
        .anyMatch(h -> h.startsWith("history of " + revocation.get("workflow_id").asText()));
    assertThat(LeakScan.hits(histories, secrets)).isEmpty();
  }

  @Test
  @Timeout(60)
  void mistakesAreOneLineOnStderrWithTheirExitCodeAndChangeNothing() {
    ApiKeyDTO key = secret("kept");
    String token = key.token();

    CliRun empty = leaked("\n  \n", "--revoked-by", "security");
    assertThat(empty.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(empty.out()).isEmpty();
    assertThat(empty.err().lines())
        .containsExactly(
            "INVALID_DATA: no token: give the leaked tokens on standard input, one a line");

    CliRun blankBy = leaked(token, "--revoked-by", " ");
    assertThat(blankBy.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(blankBy.err().lines())
        .containsExactly("INVALID_DATA: You must provide a revoked_by field when revoking a key.");

    CliRun noBy = leaked(token);
    assertThat(noBy.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.USAGE);
    assertThat(noBy.err().lines())
        .hasSize(2)
        .first()
        .asString()
        .startsWith("apikeys revoke: ")
        .contains("--revoked-by");

    CliRun both = leaked(token, "--id", key.id(), "--revoked-by", "security");
    assertThat(both.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.USAGE);
    assertThat(both.err().lines())
        .hasSize(2)
        .first()
        .asString()
        .contains("--leaked-token-stdin")
        .contains("--id");

    CliRun await = leaked(token, "--revoked-by", "security", "--wait");
    assertThat(await.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.USAGE);
    assertThat(await.err().lines())
        .first()
        .asString()
        .isEqualTo(
            "apikeys revoke: --wait: not with --leaked-token-stdin; the answer's revoked_at is when"
                + " each key stops authenticating");

    // A token typed as an argument is not read, and not repeated.
    CliRun asArgument = leaked("", "--revoked-by", "security", token);
    assertThat(asArgument.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.USAGE);
    assertThat(asArgument.err()).doesNotContain(token).doesNotContain(token.substring(3));

    env.put(TemporalConfig.ADDRESS, "127.0.0.1:1");
    CliRun unreachable = leaked(token, "--revoked-by", "security");
    assertThat(unreachable.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.CONFIGURATION);
    assertThat(unreachable.err().lines())
        .singleElement()
        .asString()
        .startsWith("TEMPORAL_ADDRESS: cannot reach Temporal at 127.0.0.1:1");

    for (CliRun r : List.of(empty, blankBy, noBy, both, await, asArgument, unreachable)) {
      assertThat(r.out() + r.err()).doesNotContain(token.substring(3));
    }
    assertThat(stack.store().authenticate(token)).as("the key still authenticates").isPresent();
  }
}
