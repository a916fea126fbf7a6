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
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Replays committed histories of real revocations against today's workflow code. A change that
 * would break revocations whose timers are running today fails here; such a change belongs behind
 * {@code Workflow.getVersion}. The histories are recorded by {@code HistoryRecorder} in the
 * activities module.
 */
class RevokeApiKeysWorkflowReplayTest {

  @ParameterizedTest
  @ValueSource(strings = {"revoke-rescheduled-revoked-now.json", "revoke-cancelled.json"})
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
    for (String file : new String[] {"revoke-rescheduled-revoked-now.json", "revoke-cancelled.json"}) {
      String json = history(file).toJson(false);
      assertThat(json).doesNotContain("\"salt\"").doesNotContainPattern("sk_[0-9a-f]{64}");
    }
  }

  private static WorkflowExecutionHistory history(String file) throws IOException {
    try (InputStream in =
        RevokeApiKeysWorkflowReplayTest.class.getResourceAsStream("/histories/" + file)) {
      return WorkflowExecutionHistory.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }
}
