package dev.apikeys.revocation;

import dev.apikeys.activities.RevocationActivitiesImpl;
import dev.apikeys.client.ApiKeyModuleService;
import dev.apikeys.client.RevocationHandle;
import dev.apikeys.examples.OffboardUserWorkflow;
import dev.apikeys.examples.OffboardUserWorkflowImpl;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.model.FilterableApiKeyProps;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.RevocationStore;
import dev.apikeys.store.TestDatabase;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Records the workflow histories that {@code RevokeApiKeysWorkflowReplayTest} replays. Run it only
 * when the histories are meant to change, and commit what it writes:
 *
 * <pre>mvn -pl workflows,activities test -Dtest=HistoryRecorder -Dapikeys.recordHistories=true \
 *     -Dsurefire.failIfNoSpecifiedTests=false</pre>
 *
 * <p>The {@code legacy-*} histories were recorded by the code before {@code revocation-v2} and are
 * kept as they are: they prove that revocations started by it still replay. This writes the current
 * code's histories, one per path a revocation takes.
 */
@EnabledIfSystemProperty(named = "apikeys.recordHistories", matches = "true")
class HistoryRecorder {
  private static final Path OUT =
      Path.of("..", "workflows", "src", "test", "resources", "histories");

  @Test
  void record() throws Exception {
    TestDatabase db = TestDatabase.create();
    ApiKeyStore keys = new ApiKeyStore(db.jdbi(), Duration.ofSeconds(5));
    RevocationStore revocations = new RevocationStore(db.jdbi(), Duration.ofSeconds(5));
    try (TestWorkflowEnvironment env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setWorkflowClientOptions(
                    WorkflowClientOptions.newBuilder()
                        .setDataConverter(ApiKeysDataConverter.newDataConverter())
                        .build())
                .build())) {
      Worker worker = env.newWorker(RevocationNames.TASK_QUEUE);
      worker.registerWorkflowImplementationTypes(
          RevokeApiKeysWorkflowImpl.class, OffboardUserWorkflowImpl.class);
      ScriptedActivities activities =
          new ScriptedActivities(new RevocationActivitiesImpl(revocations));
      worker.registerActivitiesImplementations(activities);
      env.start();
      WorkflowClient client = env.getWorkflowClient();
      ApiKeyModuleService module =
          new ApiKeyModuleService(client, keys, revocations, RevocationNames.TASK_QUEUE);
      for (int i = 0; i < 3; i++) {
        keys.createApiKey(
            new CreateApiKeyDTO("history " + i, i == 0 ? "secret" : "publishable", "recorder"));
      }

      // Scheduled by selector, rescheduled later, then revoked now, then stamped.
      RevocationHandle rescheduled =
          module.startRevoke(
              RevokeRequest.ofSelector(
                  FilterableApiKeyProps.where("created_by", "recorder").json(),
                  new RevokeApiKeyDTO("user_history", 600L),
                  SharedContext.newBuilder()
                      .setIdempotencyKey("history-1")
                      .setRequestId("req_h")
                      .build()));
      rescheduled.reschedule(3600, "ops");
      env.sleep(Duration.ofMinutes(5));
      rescheduled.revokeNow("ops");
      rescheduled.await(Duration.ofSeconds(30));
      write(client, rescheduled.workflowId(), "revoke-rescheduled-revoked-now.json");

      // The same idempotency key from a workflow started by type name: a duplicate.
      WorkflowStub duplicate = byTypeName(client, "history-duplicate");
      duplicate.start(
          RevokeRequest.ofSelector(
                  FilterableApiKeyProps.where("created_by", "recorder").json(),
                  new RevokeApiKeyDTO("user_history", 600L),
                  SharedContext.newBuilder()
                      .setIdempotencyKey("history-1")
                      .setRequestId("req_h")
                      .build())
              .json());
      duplicate.getResult(RevokeResult.class);
      write(client, "history-duplicate", "revoke-duplicate.json");

      // A single key, cancelled before its instant.
      ApiKeyDTO other = keys.createApiKey(new CreateApiKeyDTO("cancelled", "secret", "someone"));
      RevocationHandle cancelled =
          module.startRevoke(RevokeRequest.ofId(other.id(), new RevokeApiKeyDTO("u", 3600L), null));
      env.sleep(Duration.ofMinutes(1));
      cancelled.cancelAndWait(Duration.ofSeconds(30), "alice");
      write(client, cancelled.workflowId(), "revoke-cancelled.json");

      // A cancel that reaches the workflow while its stamp runs: the revocation stands.
      ApiKeyDTO late = keys.createApiKey(new CreateApiKeyDTO("late", "secret", "someone"));
      activities.stampStarted = new CountDownLatch(1);
      activities.releaseStamp = new CountDownLatch(1);
      RevocationHandle stands =
          module.startRevoke(RevokeRequest.ofId(late.id(), new RevokeApiKeyDTO("u", 60L), null));
      WorkflowStub standsStub = client.newUntypedWorkflowStub(stands.workflowId());
      Thread waiting =
          new Thread(
              () -> {
                try {
                  standsStub.getResult(RevokeResult.class);
                } catch (WorkflowFailedException expected) {
                  // Closed as cancelled by Temporal; the revocation stands.
                }
              });
      waiting.start();
      activities.stampStarted.await();
      stands.cancel();
      activities.releaseStamp.countDown();
      waiting.join();
      activities.stampStarted = null;
      activities.releaseStamp = null;
      write(client, stands.workflowId(), "revoke-cancel-after-instant.json");

      // A refusal: an unknown id.
      WorkflowStub refused = byTypeName(client, "history-refused");
      refused.start(
          RevokeRequest.ofId("apk_01HISTORYUNKNOWN00000000000", RevokeApiKeyDTO.now("u"), null)
              .json());
      try {
        refused.getResult(RevokeResult.class);
      } catch (WorkflowFailedException expected) {
        // NOT_FOUND.
      }
      write(client, "history-refused", "revoke-refused.json");

      // A child that reports to its parent: an offboarding.
      keys.createApiKey(new CreateApiKeyDTO("leaver key", "secret", "leaver"));
      OffboardUserWorkflow offboard =
          client.newWorkflowStub(
              OffboardUserWorkflow.class,
              WorkflowOptions.newBuilder()
                  .setTaskQueue(RevocationNames.TASK_QUEUE)
                  .setWorkflowId("history-offboard")
                  .build());
      offboard.offboard(new OffboardUserWorkflow.Offboarding("leaver", 60, "hr"));
      write(
          client,
          RevocationNames.workflowIdFor("history-offboard:revoke-user-keys"),
          "revoke-child-reports-to-parent.json");
    }
  }

  private static WorkflowStub byTypeName(WorkflowClient client, String workflowId) {
    return client.newUntypedWorkflowStub(
        RevocationNames.WORKFLOW_TYPE,
        WorkflowOptions.newBuilder()
            .setTaskQueue(RevocationNames.TASK_QUEUE)
            .setWorkflowId(workflowId)
            .build());
  }

  private static void write(WorkflowClient client, String workflowId, String file)
      throws Exception {
    String json = client.fetchHistory(workflowId).toJson(true);
    Files.createDirectories(OUT);
    Files.writeString(OUT.resolve(file), json);
  }
}
