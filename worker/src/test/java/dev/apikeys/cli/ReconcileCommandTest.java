package dev.apikeys.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apikeys.client.RevocationHandle;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.worker.RevocationStack;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code apikeys revocation list} and {@code apikeys revocation reconcile} as an operator runs them
 * after a revocation's workflow was lost, and {@code --by} on the commands that move or cancel a
 * revocation.
 */
class ReconcileCommandTest {

  private RevocationStack stack;
  private Map<String, String> env;

  @BeforeEach
  void start() {
    stack = RevocationStack.start().withWorker();
    env = new HashMap<>(stack.env());
  }

  @AfterEach
  void stop() {
    stack.close();
  }

  @Test
  @Timeout(120)
  void listShowsALostRevocationAndReconcileHandsItToAFreshWorkflow() {
    ApiKeyDTO key = stack.store().createApiKey(new CreateApiKeyDTO("lost", "secret", "u"));
    RevocationHandle handle =
        stack
            .service()
            .startRevoke(RevokeRequest.ofId(key.id(), new RevokeApiKeyDTO("me", 3600L), null));
    stack.client.client().newUntypedWorkflowStub(handle.workflowId()).terminate("lost");

    JsonNode listed = run("revocation", "list", "--state", "scheduled").json();
    assertThat(listed)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.get("revocation_id").asText())
                  .isEqualTo(handle.revocation().revocationId());
              assertThat(f.get("workflow").asText()).isEqualTo("terminated");
            });

    CliRun reconcile = run("revocation", "reconcile");
    assertThat(reconcile.exitCode()).as(reconcile.err()).isZero();
    assertThat(reconcile.json().get("restarted").asInt()).isEqualTo(1);
    assertThat(reconcile.json().get("findings").get(0).get("action").asText())
        .isEqualTo("restarted");

    assertThat(run("revocation", "list").json().get(0).get("workflow").asText())
        .isEqualTo("running");
    CliRun status = run("revocation", "status", handle.workflowId());
    assertThat(status.json().get("state").asText()).isEqualTo("scheduled");

    // Moved and cancelled through the fresh workflow, each saying who.
    CliRun moved =
        run("revocation", "reschedule", handle.workflowId(), "--revoke-in", "600", "--by", "ops");
    assertThat(moved.exitCode()).as(moved.err()).isZero();
    CliRun cancel = run("revocation", "cancel", handle.workflowId(), "--by", "alice");
    assertThat(cancel.exitCode()).as(cancel.err()).isZero();
    assertThat(cancel.json().get("status").asText()).isEqualTo("cancelled");
    Map<String, Object> row =
        stack
            .db
            .jdbi()
            .withHandle(
                h ->
                    h.createQuery(
                            "select status, cancelled_by, rescheduled_by from apikeys_revocation")
                        .mapToMap()
                        .one());
    assertThat(row)
        .containsEntry("status", "cancelled")
        .containsEntry("cancelled_by", "alice")
        .containsEntry("rescheduled_by", "ops");
    assertThat(stack.store().retrieveApiKey(key.id()).revokedAt()).isNull();
    assertThat(run("revocation", "list").json()).isEmpty();
  }

  @Test
  void listRefusesAnotherState() {
    CliRun other = run("revocation", "list", "--state", "revoked");
    assertThat(other.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.USAGE);
    assertThat(other.err()).contains("--state");
  }

  private CliRun run(String... args) {
    return CliRun.of(env, args);
  }
}
