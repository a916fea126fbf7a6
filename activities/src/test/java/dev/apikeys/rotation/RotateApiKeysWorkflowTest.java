package dev.apikeys.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.apikeys.activities.RevocationActivitiesImpl;
import dev.apikeys.activities.RotationActivitiesImpl;
import dev.apikeys.codec.AesGcmPayloadCodec;
import dev.apikeys.codec.PayloadKeys;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.model.FilterableApiKeyProps;
import dev.apikeys.revocation.ApiKeysDataConverter;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.revocation.RevokeApiKeysWorkflowImpl;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.RevocationStore;
import dev.apikeys.store.RotationStore;
import dev.apikeys.store.TestDatabase;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Key rotation with time skipping, real activities and PostgreSQL, with and without the codec. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RotateApiKeysWorkflowTest {
  private static final String KEYS = "k1:" + randomKey();

  private TestWorkflowEnvironment env;
  private TestDatabase db;
  private ApiKeyStore keys;

  private static String randomKey() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return Base64.getEncoder().encodeToString(k);
  }

  private WorkflowClient start(boolean encrypted) {
    db = TestDatabase.create();
    keys = new ApiKeyStore(db.jdbi(), Duration.ofSeconds(5));
    env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setWorkflowClientOptions(
                    WorkflowClientOptions.newBuilder()
                        .setDataConverter(
                            encrypted
                                ? ApiKeysDataConverter.newDataConverter(PayloadKeys.parse(KEYS))
                                : ApiKeysDataConverter.newDataConverter())
                        .build())
                .build());
    Worker worker = env.newWorker(RevocationNames.TASK_QUEUE);
    worker.registerWorkflowImplementationTypes(
        RevokeApiKeysWorkflowImpl.class, RotateApiKeysWorkflowImpl.class);
    worker.registerActivitiesImplementations(
        new RevocationActivitiesImpl(new RevocationStore(db.jdbi(), Duration.ofSeconds(5))),
        new RotationActivitiesImpl(new RotationStore(db.jdbi(), Duration.ofSeconds(5)), encrypted));
    env.start();
    return env.getWorkflowClient();
  }

  @AfterEach
  void tearDown() {
    if (env != null) {
      env.close();
    }
  }

  private RotateApiKeysWorkflow rotation(WorkflowClient client, String id) {
    return client.newWorkflowStub(
        RotateApiKeysWorkflow.class,
        WorkflowOptions.newBuilder()
            .setTaskQueue(RevocationNames.TASK_QUEUE)
            .setWorkflowId(id)
            .build());
  }

  @Test
  void rotatesSecretKeysAndTheirTokensNeverSitInHistoryInPlaintext() throws Exception {
    WorkflowClient client = start(true);
    ApiKeyDTO a = keys.createApiKey(new CreateApiKeyDTO("backend", "secret", "svc"));
    ApiKeyDTO b = keys.createApiKey(new CreateApiKeyDTO("storefront", "publishable", "svc"));
    keys.createApiKey(new CreateApiKeyDTO("other", "secret", "someone"));

    RotationResult result =
        rotation(client, "rotate-svc")
            .rotate(RotateRequest.ofSelector(FilterableApiKeyProps.where("created_by", "svc").json(),
                "rotator", 86_400));

    assertThat(result.successors()).extracting(RotationResult.Successor::oldKeyId)
        .containsExactlyInAnyOrder(a.id(), b.id());
    ApiKeyDTO newSecret = successorOf(result, a.id());
    assertThat(newSecret.token()).matches("sk_[0-9a-f]{64}");
    assertThat(newSecret.title()).isEqualTo("backend");
    assertThat(newSecret.createdBy()).isEqualTo("svc");
    assertThat(keys.authenticate(newSecret.token())).get().extracting(ApiKeyDTO::id)
        .isEqualTo(newSecret.id());
    // The old key keeps working through the grace period, then is revoked by the child.
    assertThat(keys.authenticate(a.token())).isPresent();
    assertThat(result.graceSeconds()).isEqualTo(86_400);
    assertThat(keys.retrieveApiKey(a.id()).revokedAt()).isAfter(java.time.Instant.now());
    RevokeResult revoked =
        client.newUntypedWorkflowStub(result.revocationWorkflowId()).getResult(RevokeResult.class);
    assertThat(revoked.apiKeys()).extracting(ApiKeyDTO::id).containsExactlyInAnyOrder(a.id(), b.id());
    assertThat(rotatedEvents()).isEqualTo(2);

    // No raw token of any successor is in any history in plaintext, and the codec reads it back.
    for (String workflowId : List.of("rotate-svc", result.revocationWorkflowId())) {
      WorkflowExecutionHistory history = client.fetchHistory(workflowId);
      String json = history.toJson(false);
      for (RotationResult.Successor s : result.successors()) {
        assertThat(json).doesNotContain(s.apiKey().token());
        assertThat(json).doesNotContain(s.apiKey().token().substring(3));
      }
    }
    String decrypted = decryptedResult(client.fetchHistory("rotate-svc"));
    assertThat(decrypted).contains(newSecret.token());
  }

  @Test
  void secretRotationIsRefusedWithoutTheCodec() {
    WorkflowClient client = start(false);
    ApiKeyDTO a = keys.createApiKey(new CreateApiKeyDTO("backend", "secret", "svc"));

    assertThatThrownBy(() -> rotation(client, "rotate-plain").rotate(RotateRequest.ofId(a.id(), "r", 60)))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOfSatisfying(ApplicationFailure.class, f -> {
          assertThat(f.getType()).isEqualTo("NOT_ALLOWED");
          assertThat(f.getOriginalMessage()).contains("APIKEYS_CODEC_KEYS");
        });
    assertThat(count("select count(*) from api_key")).isEqualTo(1);
    assertThat(keys.retrieveApiKey(a.id()).revokedAt()).isNull();
  }

  @Test
  void publishableKeysRotateWithoutTheCodec() {
    WorkflowClient client = start(false);
    ApiKeyDTO p = keys.createApiKey(new CreateApiKeyDTO("storefront", "publishable", "svc"));

    RotationResult result = rotation(client, "rotate-pk").rotate(RotateRequest.ofId(p.id(), "r", 60));

    assertThat(successorOf(result, p.id()).token()).startsWith("pk_");
  }

  @Test
  void revokedKeysAreRefusedAndARetriedRunCreatesNoSecondSuccessor() {
    WorkflowClient client = start(true);
    ApiKeyDTO a = keys.createApiKey(new CreateApiKeyDTO("backend", "secret", "svc"));
    ApiKeyDTO gone = keys.createApiKey(new CreateApiKeyDTO("old", "secret", "svc"));
    db.jdbi().useHandle(h -> h.execute(
        "update api_key set revoked_at = now() - interval '1 day' where id = ?", gone.id()));

    assertThatThrownBy(() -> rotation(client, "rotate-gone").rotate(RotateRequest.ofId(gone.id(), "r", 60)))
        .cause()
        .isInstanceOfSatisfying(ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo("INVALID_DATA"));

    RotationResult first = rotation(client, "rotate-once").rotate(RotateRequest.ofId(a.id(), "r", 60));
    RotationResult again = rotation(client, "rotate-once").rotate(RotateRequest.ofId(a.id(), "r", 60));

    assertThat(first.successors()).hasSize(1);
    assertThat(again.successors()).isEmpty();
    assertThat(again.rotationId()).isEqualTo(first.rotationId());
    assertThat(again.message()).startsWith("already rotated");
    assertThat(count("select count(*) from api_key where created_by = 'svc'")).isEqualTo(3);
  }

  private static ApiKeyDTO successorOf(RotationResult result, String oldId) {
    return result.successors().stream()
        .filter(s -> s.oldKeyId().equals(oldId))
        .findFirst()
        .orElseThrow()
        .apiKey();
  }

  private String decryptedResult(WorkflowExecutionHistory history) {
    AesGcmPayloadCodec codec = new AesGcmPayloadCodec(PayloadKeys.parse(KEYS));
    for (HistoryEvent event : history.getEvents()) {
      if (event.hasWorkflowExecutionCompletedEventAttributes()) {
        Payload sealed = event.getWorkflowExecutionCompletedEventAttributes().getResult().getPayloads(0);
        assertThat(sealed.getMetadataMap().get("encoding").toStringUtf8()).isEqualTo("binary/encrypted");
        return codec.decode(List.of(sealed)).get(0).getData().toStringUtf8();
      }
    }
    throw new AssertionError("the rotation did not complete");
  }

  private long rotatedEvents() {
    return count("select count(*) from apikeys_event where name = 'api_key.rotated'");
  }

  private long count(String sql) {
    return db.jdbi().withHandle(h -> h.createQuery(sql).mapTo(Long.class).one());
  }

}
