package dev.apikeys.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.apikeys.examples.OffboardUserWorkflow;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.revocation.RevokeResult;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@code OffboardUserWorkflow} example runs only on a worker asked to host the examples ({@code
 * APIKEYS_EXAMPLES=true}, always in {@code apikeys dev}); a production worker leaves it out, so an
 * offboarding sent to it revokes nothing.
 */
class ExampleWorkflowsTest {
  private RevocationStack stack;

  @AfterEach
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  @Timeout(60)
  void aWorkerAskedForTheExamplesRunsAnOffboarding() {
    stack = RevocationStack.start();
    stack.withWorker(stack.workerOptions().withExamples(true));
    ApiKeyDTO key = stack.store().createApiKey(new CreateApiKeyDTO("a", "secret", "leaver"));

    RevokeResult result =
        offboarding("offboard-asked")
            .offboard(new OffboardUserWorkflow.Offboarding("leaver", 1, "hr"));

    assertThat(result.keyCount()).isEqualTo(1);
    assertThat(stack.store().retrieveApiKey(key.id()).revokedBy()).isEqualTo("hr");
  }

  @Test
  @Timeout(60)
  void aWorkerNotAskedForTheExamplesDoesNotRunAnOffboarding() throws Exception {
    stack = RevocationStack.start();
    stack.withWorker(stack.workerOptions());
    ApiKeyDTO key = stack.store().createApiKey(new CreateApiKeyDTO("a", "secret", "leaver"));

    WorkflowClient.start(
        offboarding("offboard-unasked")::offboard,
        new OffboardUserWorkflow.Offboarding("leaver", 1, "hr"));

    HistoryEvent failed = firstWorkflowTaskFailure("offboard-unasked");
    assertThat(failed.getWorkflowTaskFailedEventAttributes().getFailure().getMessage())
        .contains(OffboardUserWorkflow.WORKFLOW_TYPE);
    assertThat(stack.store().retrieveApiKey(key.id()).revokedAt()).isNull();
  }

  private OffboardUserWorkflow offboarding(String workflowId) {
    return stack
        .client
        .client()
        .newWorkflowStub(
            OffboardUserWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(stack.temporal.taskQueue())
                .setWorkflowId(workflowId)
                .build());
  }

  /** Waits for the worker to fail the workflow's first task; the test's timeout bounds it. */
  private HistoryEvent firstWorkflowTaskFailure(String workflowId) throws InterruptedException {
    while (true) {
      Optional<HistoryEvent> failed =
          stack.client.client().fetchHistory(workflowId).getEvents().stream()
              .filter(e -> e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
              .findFirst();
      if (failed.isPresent()) {
        return failed.get();
      }
      Thread.sleep(100);
    }
  }
}
