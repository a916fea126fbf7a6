package dev.apikeys.revocation;

import dev.apikeys.activities.RevocationActivitiesImpl;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.model.FilterableApiKeyProps;
import dev.apikeys.module.ApiKeyModuleService;
import dev.apikeys.module.RevocationHandle;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.RevocationStore;
import dev.apikeys.store.TestDatabase;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Records the workflow histories that {@code RevokeApiKeysWorkflowReplayTest} replays. Run it only
 * when the histories are meant to change, and commit what it writes:
 *
 * <pre>mvn -pl activities test -Dtest=HistoryRecorder -Dapikeys.recordHistories=true</pre>
 */
@EnabledIfSystemProperty(named = "apikeys.recordHistories", matches = "true")
class HistoryRecorder {
  private static final Path OUT = Path.of("..", "workflows", "src", "test", "resources", "histories");

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
      worker.registerWorkflowImplementationTypes(RevokeApiKeysWorkflowImpl.class);
      worker.registerActivitiesImplementations(new RevocationActivitiesImpl(revocations));
      env.start();
      ApiKeyModuleService module =
          new ApiKeyModuleService(env.getWorkflowClient(), keys, revocations, RevocationNames.TASK_QUEUE);
      for (int i = 0; i < 3; i++) {
        keys.createApiKey(new CreateApiKeyDTO("history " + i, i == 0 ? "secret" : "publishable", "recorder"));
      }

      // Scheduled by selector, rescheduled later, then revoked now, then stamped.
      RevocationHandle rescheduled =
          module.startRevoke(
              RevokeRequest.ofSelector(
                  FilterableApiKeyProps.where("created_by", "recorder").json(),
                  new RevokeApiKeyDTO("user_history", 600L),
                  SharedContext.newBuilder().setIdempotencyKey("history-1").setRequestId("req_h").build()));
      rescheduled.reschedule(3600);
      env.sleep(Duration.ofMinutes(5));
      rescheduled.revokeNow();
      rescheduled.await(Duration.ofSeconds(30));
      write(env, rescheduled.workflowId(), "revoke-rescheduled-revoked-now.json");

      // A single key, cancelled before its instant.
      ApiKeyDTO other = keys.createApiKey(new CreateApiKeyDTO("cancelled", "secret", "someone"));
      RevocationHandle cancelled =
          module.startRevoke(RevokeRequest.ofId(other.id(), new RevokeApiKeyDTO("u", 3600L), null));
      env.sleep(Duration.ofMinutes(1));
      cancelled.cancelAndWait(Duration.ofSeconds(30));
      write(env, cancelled.workflowId(), "revoke-cancelled.json");
    }
  }

  private static void write(TestWorkflowEnvironment env, String workflowId, String file)
      throws Exception {
    String json = env.getWorkflowClient().fetchHistory(workflowId).toJson(true);
    Files.createDirectories(OUT);
    Files.writeString(OUT.resolve(file), json);
  }
}
