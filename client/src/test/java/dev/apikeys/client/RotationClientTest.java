package dev.apikeys.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.apikeys.activities.RevocationActivitiesImpl;
import dev.apikeys.activities.RotationActivitiesImpl;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyErrorType;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.revocation.ApiKeysDataConverter;
import dev.apikeys.revocation.RevokeApiKeysWorkflowImpl;
import dev.apikeys.rotation.Recipient;
import dev.apikeys.rotation.RotateApiKeysWorkflowImpl;
import dev.apikeys.rotation.RotateRequest;
import dev.apikeys.rotation.RotationNames;
import dev.apikeys.rotation.RotationResult;
import dev.apikeys.sealing.TokenSeal;
import dev.apikeys.store.ApiKeysDatabase;
import dev.apikeys.store.TestDatabase;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowFailedException;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.TestWorkflowExtension;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link RotationClient} against the real workflows and activities on a real PostgreSQL: a rotation
 * runs under a {@code rotate-apikeys-} workflow id, stores its successors and starts the old keys'
 * revocation; a refusal comes back as {@link ApiKeyException} with the worker's type and message,
 * not as Temporal's failure.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RotationClientTest {
  @RegisterExtension
  static final TestWorkflowExtension testWorkflow =
      TestWorkflowExtension.newBuilder()
          .registerWorkflowImplementationTypes(
              RotateApiKeysWorkflowImpl.class, RevokeApiKeysWorkflowImpl.class)
          .setWorkflowClientOptions(
              WorkflowClientOptions.newBuilder()
                  .setDataConverter(ApiKeysDataConverter.newDataConverter())
                  .build())
          .setDoNotStart(true)
          .build();

  private TestWorkflowEnvironment env;
  private ApiKeysDatabase database;

  @AfterEach
  void tearDown() {
    env.close();
  }

  private RotationClient start(
      TestWorkflowEnvironment env, Worker worker, WorkflowClient client, boolean enabled) {
    this.env = env;
    database = new ApiKeysDatabase(TestDatabase.create().jdbi(), Duration.ofSeconds(5));
    worker.registerActivitiesImplementations(
        new RevocationActivitiesImpl(database.revocations()),
        new RotationActivitiesImpl(database.rotations(), enabled));
    env.start();
    return new RotationClient(client, worker.getTaskQueue());
  }

  @Test
  void aRotationRunsUnderARotationWorkflowIdAndGivesEachKeyASuccessor(
      TestWorkflowEnvironment env, Worker worker, WorkflowClient client) {
    RotationClient rotations = start(env, worker, client, true);
    ApiKeyDTO old = database.apiKeys().createApiKey(new CreateApiKeyDTO("a", "secret", "svc"));

    RotationResult result = rotations.rotate(request(old.id()));

    assertThat(result.workflowId()).startsWith(RotationNames.WORKFLOW_ID_PREFIX);
    assertThat(result.successors()).hasSize(1);
    assertThat(result.successors().get(0).oldKeyId()).isEqualTo(old.id());
    ApiKeyDTO successor =
        database.apiKeys().retrieveApiKey(result.successors().get(0).apiKey().id());
    assertThat(successor.title()).isEqualTo("a");
    assertThat(successor.revokedAt()).isNull();
    assertThat(result.revocationWorkflowId()).isNotNull();
  }

  @Test
  void aRotationTheWorkerDoesNotEnableIsRefusedAsApiKeyException(
      TestWorkflowEnvironment env, Worker worker, WorkflowClient client) {
    RotationClient rotations = start(env, worker, client, false);
    ApiKeyDTO old = database.apiKeys().createApiKey(new CreateApiKeyDTO("a", "secret", "svc"));

    assertThatThrownBy(() -> rotations.rotate(request(old.id())))
        .isInstanceOf(ApiKeyException.class)
        .isNotInstanceOf(WorkflowFailedException.class)
        .satisfies(
            e -> assertThat(((ApiKeyException) e).getType()).isEqualTo(ApiKeyErrorType.NOT_ALLOWED))
        .hasMessageContaining("rotation is off on this worker");
    assertThat(database.apiKeys().retrieveApiKey(old.id()).revokedAt()).isNull();
  }

  private static RotateRequest request(String id) {
    return RotateRequest.ofId(
        id, "ops", 3600, new Recipient("billing-service", TokenSeal.newKeyPair().publicKey()));
  }
}
