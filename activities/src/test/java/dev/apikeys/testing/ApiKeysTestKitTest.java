package dev.apikeys.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.apikeys.activities.RevocationActivitiesImpl;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.revocation.RevocationActivities;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.TestDatabase;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the kit promises the tests that use it: a fresh migrated database per test, a started worker
 * on the test's own queue that runs the revocation workflow with the real activities, the parts as
 * parameters, and provided objects by type.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ApiKeysTestKitTest {
  /** Made by the kit for each test from its stack. */
  record QueueNote(String taskQueue) {}

  @RegisterExtension
  static final ApiKeysTestKit kit =
      ApiKeysTestKit.newBuilder()
          .provide(QueueNote.class, s -> new QueueNote(s.taskQueue()))
          .build();

  private static final List<String> databases = new CopyOnWriteArrayList<>();

  @AfterAll
  static void eachTestHadADatabaseOfItsOwn() {
    assertThat(databases).doesNotHaveDuplicates();
  }

  @Test
  void theWorkerRunsTheRevocationWorkflowOnTheRealActivities(
      TestStack stack,
      TestDatabase db,
      ApiKeyStore keys,
      WorkflowClient client,
      RevocationActivities activities) {
    startsEmpty(stack);
    assertThat(db).isSameAs(stack.db());
    assertThat(keys).isSameAs(stack.keys());
    assertThat(activities).isInstanceOf(RevocationActivitiesImpl.class);
    assertThat(stack.taskQueue()).isNotEqualTo(RevocationNames.TASK_QUEUE);
    ApiKeyDTO key = keys.createApiKey(new CreateApiKeyDTO("k", "secret", "u"));

    WorkflowStub stub =
        client.newUntypedWorkflowStub(
            RevocationNames.WORKFLOW_TYPE,
            WorkflowOptions.newBuilder()
                .setTaskQueue(stack.taskQueue())
                .setWorkflowId("kit-revoke")
                .build());
    stub.start(RevokeRequest.ofId(key.id(), RevokeApiKeyDTO.now("kit"), null));
    RevokeResult result = stub.getResult(RevokeResult.class);

    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(keys.retrieveApiKey(key.id()).revokedBy()).isEqualTo("kit");
  }

  @Test
  void providedObjectsAreMadeFromTheStackAndOthersAreRefusedByName(
      TestStack stack, QueueNote note) {
    startsEmpty(stack);
    stack.keys().createApiKey(new CreateApiKeyDTO("k", "secret", "u"));

    assertThat(note).isSameAs(stack.get(QueueNote.class));
    assertThat(note.taskQueue()).isEqualTo(stack.taskQueue());
    assertThatThrownBy(() -> stack.get(Integer.class))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the test kit provides no java.lang.Integer; add it with provide(...)");
  }

  /** Each test writes a key; one that found another's would share a database. */
  private static void startsEmpty(TestStack stack) {
    databases.add(stack.db().pgDataSource().getDatabaseName());
    long keys =
        stack
            .db()
            .jdbi()
            .withHandle(h -> h.select("select count(*) from api_key").mapTo(Long.class).one());
    assertThat(keys).isZero();
  }
}
