package dev.apikeys.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.apikeys.activities.RotationActivitiesImpl;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyErrorType;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.model.FilterableApiKeyProps;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.sealing.TokenSeal;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.RotationStore;
import dev.apikeys.store.TestDatabase;
import dev.apikeys.testing.ApiKeysTestKit;
import dev.apikeys.testing.TestStack;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.ApplicationFailure;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Key rotation with time skipping, real activities and PostgreSQL, and no payload codec: the new
 * tokens leave the worker sealed to the recipient's public key, so not even an encrypted history
 * holds them.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RotateApiKeysWorkflowTest {
  /** Each test starts the worker itself, with rotation on or off (see {@link #start}). */
  @RegisterExtension
  static final ApiKeysTestKit kit =
      ApiKeysTestKit.newBuilder()
          .registerWorkflowImplementationTypes(RotateApiKeysWorkflowImpl.class)
          .taskQueue(RevocationNames.TASK_QUEUE)
          .doNotStart()
          .build();

  private TestStack stack;
  private TestDatabase db;
  private ApiKeyStore keys;
  private RotationStore rotations;
  private final TokenSeal.KeyPair recipientKeys = TokenSeal.newKeyPair();
  private final Recipient recipient = new Recipient("billing-service", recipientKeys.publicKey());

  /** Runs between the real creation of successors and its return; a test's fault goes here. */
  private volatile Consumer<String> afterSuccessorsCreated = workflowId -> {};

  @BeforeEach
  void setUp(TestStack stack) {
    this.stack = stack;
    this.db = stack.db();
    this.keys = stack.keys();
    this.rotations = stack.rotations();
  }

  private WorkflowClient start(boolean rotationEnabled) {
    stack
        .worker()
        .registerActivitiesImplementations(
            new FaultAfterCreation(new RotationActivitiesImpl(rotations, rotationEnabled)));
    stack.start();
    return stack.client();
  }

  /** The real activities, with {@link #afterSuccessorsCreated} run once the creation committed. */
  private final class FaultAfterCreation implements RotationActivities {
    private final RotationActivities real;

    FaultAfterCreation(RotationActivities real) {
      this.real = real;
    }

    @Override
    public RotationPlan plan(String workflowId, ValidRotateRequest request) {
      return real.plan(workflowId, request);
    }

    @Override
    public List<RotationResult.Successor> createSuccessors(String rotationId) {
      List<RotationResult.Successor> created = real.createSuccessors(rotationId);
      afterSuccessorsCreated.accept(
          io.temporal.activity.Activity.getExecutionContext().getInfo().getWorkflowId());
      return created;
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
  void rotatesKeysAndHandsOutTheirTokensOnlySealedToTheRecipient() throws Exception {
    WorkflowClient client = start(true);
    ApiKeyDTO a = keys.createApiKey(new CreateApiKeyDTO("backend", "secret", "svc"));
    ApiKeyDTO b = keys.createApiKey(new CreateApiKeyDTO("storefront", "publishable", "svc"));
    keys.createApiKey(new CreateApiKeyDTO("other", "secret", "someone"));

    RotationResult result =
        rotation(client, "rotate-svc")
            .rotate(
                RotateRequest.ofSelector(
                    FilterableApiKeyProps.where("created_by", "svc").json(),
                    "rotator",
                    86_400,
                    recipient));

    assertThat(result.recipient()).isEqualTo(recipient);
    assertThat(result.successors())
        .extracting(RotationResult.Successor::oldKeyId)
        .containsExactlyInAnyOrder(a.id(), b.id());
    RotationResult.Successor secret = successorOf(result, a.id());
    RotationResult.Successor publishable = successorOf(result, b.id());
    assertThat(secret.apiKey().token()).isEmpty();
    assertThat(publishable.apiKey().token()).isEmpty();
    assertThat(secret.sealedToken().suite()).isEqualTo(SealedToken.SUITE);

    // The recipient opens each token with its private key; nobody else can.
    String newSecret = open(secret);
    String newPublishable = open(publishable);
    assertThat(newSecret).matches("sk_[0-9a-f]{64}");
    assertThat(newPublishable).matches("pk_[0-9a-f]{64}");
    assertThat(keys.authenticate(newSecret))
        .get()
        .extracting(ApiKeyDTO::id)
        .isEqualTo(secret.apiKey().id());
    assertThat(keys.listApiKeys(FilterableApiKeyProps.where("token", newPublishable).json(), null))
        .extracting(ApiKeyDTO::id)
        .containsExactly(publishable.apiKey().id());
    TokenSeal.KeyPair stranger = TokenSeal.newKeyPair();
    assertThatThrownBy(
            () -> TokenSeal.open(stranger.privateKey(), secret.apiKey().id(), secret.sealedToken()))
        .isInstanceOfSatisfying(
            ApiKeyException.class,
            e -> assertThat(e.getType()).isEqualTo(ApiKeyErrorType.INVALID_DATA))
        .hasMessageContaining("does not open with this private key");
    // Bound to its key: it does not open as another successor's token.
    assertThatThrownBy(
            () ->
                TokenSeal.open(
                    recipientKeys.privateKey(), publishable.apiKey().id(), secret.sealedToken()))
        .hasMessageContaining("does not open with this private key");

    assertThat(secret.apiKey().title()).isEqualTo("backend");
    assertThat(secret.apiKey().createdBy()).isEqualTo("svc");
    // The old key keeps working through the grace period, then is revoked by the child.
    assertThat(keys.authenticate(a.token())).isPresent();
    assertThat(result.graceSeconds()).isEqualTo(86_400);
    assertThat(keys.retrieveApiKey(a.id()).revokedAt()).isAfter(Instant.now());
    RevokeResult revoked =
        client.newUntypedWorkflowStub(result.revocationWorkflowId()).getResult(RevokeResult.class);
    assertThat(revoked.apiKeys())
        .extracting(ApiKeyDTO::id)
        .containsExactlyInAnyOrder(a.id(), b.id());

    // The events deliver the same sealed tokens to a recipient that follows the outbox.
    List<Map<String, Object>> events =
        db.jdbi()
            .withHandle(
                h ->
                    h.createQuery(
                            "select data->>'successor_id' as successor, data->>'recipient' as recipient,"
                                + " data->'sealed_token'->>'ciphertext' as ciphertext from apikeys_event"
                                + " where name = 'api_key.rotated' order by api_key_id")
                        .mapToMap()
                        .list());
    assertThat(events)
        .hasSize(2)
        .allSatisfy(e -> assertThat(e.get("recipient")).isEqualTo("billing-service"));
    assertThat(events)
        .extracting(e -> e.get("ciphertext"))
        .containsExactlyInAnyOrder(
            secret.sealedToken().ciphertext(), publishable.sealedToken().ciphertext());

    // No raw token, nor its body, in any history (decoded), event or rotation row.
    List<String> rawTokens = List.of(newSecret, newPublishable);
    Map<String, String> haystacks = new java.util.LinkedHashMap<>();
    for (String workflowId : List.of("rotate-svc", result.revocationWorkflowId())) {
      haystacks.put("history of " + workflowId, decodedHistory(client.fetchHistory(workflowId)));
    }
    haystacks.put("events", rows("apikeys_event"));
    haystacks.put("rotations", rows("apikeys_rotation") + rows("apikeys_rotation_key"));
    assertThat(haystacks.get("history of rotate-svc"))
        .as("the search reads decoded payloads")
        .contains(secret.sealedToken().ciphertext());
    haystacks.forEach(
        (where, text) -> {
          for (String token : rawTokens) {
            assertThat(text.contains(token) || text.contains(token.substring(3)))
                .as("a raw token in %s", where)
                .isFalse();
          }
        });
  }

  @Test
  void rotationIsOffUnlessTheWorkerEnablesIt() {
    WorkflowClient client = start(false);
    ApiKeyDTO a = keys.createApiKey(new CreateApiKeyDTO("backend", "secret", "svc"));

    assertThatThrownBy(
            () ->
                rotation(client, "rotate-off")
                    .rotate(RotateRequest.ofId(a.id(), "r", 60, recipient)))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo("NOT_ALLOWED");
              assertThat(f.getOriginalMessage()).contains("APIKEYS_ROTATION_ENABLED=true");
            });
    assertThat(count("select count(*) from api_key")).isEqualTo(1);
    assertThat(count("select count(*) from apikeys_rotation")).isZero();
    assertThat(keys.retrieveApiKey(a.id()).revokedAt()).isNull();
  }

  /**
   * Issue 14, finding 3: a rotation request is checked as a revoke request is, and refused without
   * a retry and without repeating a pasted token.
   */
  @Test
  void aBadRequestIsRefusedBeforeAnyActivityRuns() {
    WorkflowClient client = start(true);
    ApiKeyDTO a = keys.createApiKey(new CreateApiKeyDTO("backend", "secret", "svc"));
    String pasted = a.token();
    Map<String, RotateRequest> bad =
        Map.of(
            "token-as-id", RotateRequest.ofId(pasted, "r", 60, recipient),
            "nul", RotateRequest.ofId(a.id(), "ops\0", 60, recipient),
            "no-recipient", RotateRequest.ofId(a.id(), "r", 60, null),
            "short-key", RotateRequest.ofId(a.id(), "r", 60, new Recipient(null, "AAAA")));
    Map<String, String> messages =
        Map.of(
            "token-as-id",
                "id: looks like a raw secret token, not a key id; rotate the key by its id"
                    + " (apk_…)",
            "nul", "rotated_by: contains a NUL character",
            "no-recipient", "recipient: is required",
            "short-key",
                "recipient.public_key: expected the base64 of a 32-byte X25519 public key");
    bad.forEach(
        (name, request) -> {
          assertThatThrownBy(() -> ValidRotateRequest.parse(request))
              .isInstanceOf(ApiKeyException.class)
              .hasMessageStartingWith(messages.get(name));
          String workflowId = "rotate-bad-" + name;
          assertThatThrownBy(() -> rotation(client, workflowId).rotate(request))
              .cause()
              .isInstanceOfSatisfying(
                  ApplicationFailure.class,
                  f -> {
                    assertThat(f.getType()).isEqualTo("INVALID_DATA");
                    assertThat(f.getOriginalMessage())
                        .startsWith(messages.get(name))
                        .doesNotContain(pasted.substring(3, 20));
                  });
          assertThat(client.fetchHistory(workflowId).getEvents())
              .as("no activity for %s", name)
              .noneMatch(e -> e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
        });
    assertThat(count("select count(*) from apikeys_rotation")).isZero();
  }

  /**
   * Issue 10, situation 8: the first run stops (terminated here) right after the successors are
   * committed, before the old keys' revocation starts; a re-run finds the successors and starts it,
   * with the same successors and sealed tokens.
   */
  @Test
  void aReRunThatFindsTheSuccessorsStartsTheRevocationOfTheOldKeys() throws Exception {
    WorkflowClient client = start(true);
    ApiKeyDTO a = keys.createApiKey(new CreateApiKeyDTO("backend", "secret", "svc"));
    afterSuccessorsCreated =
        workflowId ->
            client
                .newUntypedWorkflowStub(workflowId)
                .terminate("stopped between creating the successors and revoking the old keys");

    assertThatThrownBy(
        () ->
            rotation(client, "rotate-partial")
                .rotate(RotateRequest.ofId(a.id(), "ops", 3_600, recipient)));
    assertThat(count("select count(*) from api_key where created_by = 'svc'")).isEqualTo(2);
    assertThat(keys.retrieveApiKey(a.id()).revokedAt()).as("the partial run's gap").isNull();
    afterSuccessorsCreated = workflowId -> {};

    RotationResult again =
        rotation(client, "rotate-partial")
            .rotate(RotateRequest.ofId(a.id(), "ops", 3_600, recipient));

    assertThat(again.message()).startsWith("already rotated");
    assertThat(again.revocationWorkflowId()).isNotNull();
    awaitScheduled(a.id());
    assertThat(keys.retrieveApiKey(a.id()).revokedBy()).isEqualTo("ops");
    assertThat(count("select count(*) from api_key where created_by = 'svc'")).isEqualTo(2);
    String token = open(again.successors().get(0));
    assertThat(keys.authenticate(token))
        .get()
        .extracting(ApiKeyDTO::id)
        .isEqualTo(again.successors().get(0).apiKey().id());

    // A third run while that revocation waits out the grace period joins it.
    RotationResult third =
        rotation(client, "rotate-partial")
            .rotate(RotateRequest.ofId(a.id(), "ops", 3_600, recipient));
    assertThat(third.revocationWorkflowId()).isEqualTo(again.revocationWorkflowId());
    assertThat(third.successors()).isEqualTo(again.successors());
    assertThat(count("select count(*) from apikeys_revocation")).isEqualTo(1);
  }

  /**
   * Issue 10, situation 8: a cancel that arrives while the successors are being created does not
   * leave the old keys active beside them. The workflow closes as cancelled (the SDK reports a
   * workflow that was asked to cancel so), but only after it started the old keys' revocation,
   * which a cancel of the rotation does not reach; a re-run hands out the same sealed tokens.
   */
  @Test
  void aCancelWhileSuccessorsAreCreatedStillRevokesTheOldKeys() throws Exception {
    WorkflowClient client = start(true);
    ApiKeyDTO a = keys.createApiKey(new CreateApiKeyDTO("backend", "secret", "svc"));
    CountDownLatch creating = new CountDownLatch(1);
    CountDownLatch cancelled = new CountDownLatch(1);
    afterSuccessorsCreated =
        workflowId -> {
          creating.countDown();
          try {
            cancelled.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    WorkflowStub stub = WorkflowStub.fromTyped(rotation(client, "rotate-cancelled"));
    stub.start(RotateRequest.ofId(a.id(), "ops", 3_600, recipient));
    assertThat(creating.await(30, TimeUnit.SECONDS)).isTrue();

    stub.cancel();
    cancelled.countDown();
    assertThatThrownBy(() -> stub.getResult(30, TimeUnit.SECONDS, RotationResult.class))
        .isInstanceOf(WorkflowFailedException.class);

    String revocationId =
        "revoke-apikeys-rotate-cancelled:" + RotateApiKeysWorkflowImpl.REVOKE_OLD_KEYS_STEP;
    RevokeResult revoked =
        client.newUntypedWorkflowStub(revocationId).getResult(RevokeResult.class);
    assertThat(revoked.apiKeys()).extracting(ApiKeyDTO::id).containsExactly(a.id());
    assertThat(revoked.revokedBy()).isEqualTo("ops");
    assertThat(keys.retrieveApiKey(a.id()).revokedBy()).isEqualTo("ops");
    afterSuccessorsCreated = workflowId -> {};
    RotationResult again =
        rotation(client, "rotate-cancelled")
            .rotate(RotateRequest.ofId(a.id(), "ops", 3_600, recipient));
    assertThat(again.revocationWorkflowId()).isEqualTo(revocationId);
    assertThat(keys.authenticate(open(again.successors().get(0)))).isPresent();
  }

  @Test
  void aRetriedCreationReturnsTheSameSealedTokensAndCreatesNothing() {
    start(true);
    ApiKeyDTO a = keys.createApiKey(new CreateApiKeyDTO("backend", "secret", "svc"));
    RotationPlan plan =
        rotations.plan(
            "rotate-direct",
            ValidRotateRequest.parse(RotateRequest.ofId(a.id(), "ops", 60, recipient)),
            true);

    List<RotationResult.Successor> first = rotations.createSuccessors(plan.rotationId());
    List<RotationResult.Successor> second = rotations.createSuccessors(plan.rotationId());

    assertThat(second).isEqualTo(first);
    assertThat(first)
        .extracting(s -> s.apiKey().id())
        .containsExactly(plan.entries().get(0).newKeyId());
    assertThat(count("select count(*) from api_key")).isEqualTo(2);
    assertThat(count("select count(*) from apikeys_event where name = 'api_key.rotated'"))
        .isEqualTo(1);
    assertThat(keys.authenticate(open(first.get(0)))).isPresent();
  }

  /**
   * Waits until the child revocation has scheduled the key: the rotation returns once the child
   * started, not once it scheduled. Time does not skip meanwhile (no client call is blocked).
   */
  private void awaitScheduled(String keyId) throws InterruptedException {
    for (int i = 0; i < 600 && keys.retrieveApiKey(keyId).revokedAt() == null; i++) {
      Thread.sleep(50);
    }
  }

  private String open(RotationResult.Successor successor) {
    return TokenSeal.open(
        recipientKeys.privateKey(), successor.apiKey().id(), successor.sealedToken());
  }

  private static RotationResult.Successor successorOf(RotationResult result, String oldId) {
    return result.successors().stream()
        .filter(s -> s.oldKeyId().equals(oldId))
        .findFirst()
        .orElseThrow();
  }

  /** The history as JSON, and every payload's bytes as text: base64 in JSON hides them. */
  private static String decodedHistory(WorkflowExecutionHistory history) {
    StringBuilder text = new StringBuilder(history.toJson(false));
    for (HistoryEvent event : history.getEvents()) {
      decodeAll(event, text);
    }
    return text.toString();
  }

  private static void decodeAll(Message message, StringBuilder out) {
    for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
      Object value = field.getValue();
      Stream<?> values =
          field.getKey().isRepeated() ? ((List<?>) value).stream() : Stream.of(value);
      values.forEach(
          v -> {
            if (v instanceof Message nested) {
              decodeAll(nested, out);
            } else if (v instanceof ByteString bytes) {
              out.append('\n').append(bytes.toStringUtf8());
            }
          });
    }
  }

  private String rows(String table) {
    List<String> rows =
        new ArrayList<>(
            db.jdbi()
                .withHandle(
                    h ->
                        h.createQuery("select cast(to_jsonb(t) as text) from " + table + " t")
                            .mapTo(String.class)
                            .list()));
    return String.join("\n", rows);
  }

  private long count(String sql) {
    return db.jdbi().withHandle(h -> h.createQuery(sql).mapTo(Long.class).one());
  }
}
