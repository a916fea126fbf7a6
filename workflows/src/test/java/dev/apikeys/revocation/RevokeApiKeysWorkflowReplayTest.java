package dev.apikeys.revocation;

import static org.assertj.core.api.Assertions.assertThat;

import io.temporal.client.WorkflowClientOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Replays committed histories of real revocations against today's workflow code. A change that
 * would break revocations whose timers are running today fails here; such a change belongs behind
 * {@code Workflow.getVersion}. The histories are recorded by {@code HistoryRecorder} in the
 * activities module: one per path a revocation takes (moved and revoked now, a duplicate, cancelled
 * before its instant, a cancel after it, refused, a child reporting to its parent), the single-key
 * ones also as recorded before {@code single-key-local-activities}, and the two {@code legacy-*}
 * histories of the code before {@code revocation-v2}, which must keep replaying through the legacy
 * path.
 */
class RevokeApiKeysWorkflowReplayTest {

  static final String[] HISTORIES = {
    "legacy-revoke-rescheduled-revoked-now.json",
    "legacy-revoke-cancelled.json",
    "revoke-rescheduled-revoked-now.json",
    "revoke-duplicate.json",
    "revoke-cancelled.json",
    "revoke-cancel-after-instant.json",
    "revoke-refused.json",
    "revoke-cancelled-before-local-activities.json",
    "revoke-cancel-after-instant-before-local-activities.json",
    "revoke-refused-before-local-activities.json",
    "revoke-child-reports-to-parent.json",
  };

  @ParameterizedTest
  @MethodSource("histories")
  void committedHistoriesReplay(String file) throws Exception {
    try (TestWorkflowEnvironment env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setWorkflowClientOptions(
                    WorkflowClientOptions.newBuilder()
                        .setDataConverter(ApiKeysDataConverter.newDataConverter())
                        .build())
                .build())) {
      Worker worker = env.newWorker(RevocationNames.TASK_QUEUE);
      worker.registerWorkflowImplementationTypes(RevokeApiKeysWorkflowImpl.class);
      WorkflowReplayer.replayWorkflowExecution(history(file), worker);
    }
  }

  @Test
  void committedHistoriesHoldNoKeyMaterial() throws Exception {
    for (String file : HISTORIES) {
      String json = history(file).toJson(false);
      assertThat(json).doesNotContain("\"salt\"").doesNotContainPattern("sk_[0-9a-f]{64}");
    }
  }

  static String[] histories() {
    return HISTORIES;
  }

  private static WorkflowExecutionHistory history(String file) throws IOException {
    try (InputStream in =
        RevokeApiKeysWorkflowReplayTest.class.getResourceAsStream("/histories/" + file)) {
      return WorkflowExecutionHistory.fromJson(
          new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }
}
