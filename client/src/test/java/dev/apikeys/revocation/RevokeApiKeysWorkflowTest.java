package dev.apikeys.revocation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apikeys.activities.RevocationActivitiesImpl;
import dev.apikeys.client.ApiKeyModuleService;
import dev.apikeys.client.RevocationHandle;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyErrorType;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.ApiKeysJson;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.model.FilterableApiKeyProps;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.EventOutbox;
import dev.apikeys.store.TestDatabase;
import dev.apikeys.testing.ApiKeysTestKit;
import dev.apikeys.testing.ClientTestKit;
import dev.apikeys.testing.TestStack;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The workflow's rules with time skipping, against the real activities on a real PostgreSQL: every
 * assertion is about what a user sees — rows, results, events, errors.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RevokeApiKeysWorkflowTest {
  private static final ObjectMapper JSON = ApiKeysJson.newObjectMapper();

  @RegisterExtension
  static final ApiKeysTestKit kit =
      ClientTestKit.newBuilder()
          .revocationActivities(
              s -> new ScriptedActivities(new RevocationActivitiesImpl(s.revocations())))
          .build();

  private TestDatabase db;
  private ApiKeyStore keys;
  private ApiKeyModuleService module;
  private ScriptedActivities activities;
  private TestWorkflowEnvironment env;
  private String taskQueue;

  @BeforeEach
  void setUp(TestStack stack, ApiKeyModuleService module, ScriptedActivities activities) {
    this.env = stack.env();
    this.db = stack.db();
    this.keys = stack.keys();
    this.activities = activities;
    this.taskQueue = stack.taskQueue();
    this.module = module;
  }

  // ---- timer and stamp ------------------------------------------------------------------------

  @Test
  void timerIsNotFiredEarly() throws Exception {
    ApiKeyDTO key = secret("k");
    RevocationHandle handle = revoke(key.id(), "user_1", 3600, null);

    env.sleep(Duration.ofMinutes(59));
    assertThat(handle.status().state()).isEqualTo(RevocationState.SCHEDULED);
    assertThat(revocationStatus(handle)).isEqualTo("scheduled");
    assertThat(eventCount()).isZero();

    env.sleep(Duration.ofMinutes(2));
    RevokeResult result = handle.await(Duration.ofSeconds(30));
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(eventCount()).isEqualTo(1);
  }

  @Test
  void stampedInstantEqualsScheduledInstant() throws Exception {
    ApiKeyDTO key = secret("k");
    RevocationHandle handle = revoke(key.id(), "user_1", 90, null);
    Instant scheduled = handle.scheduled().scheduledAt();
    assertThat(handle.scheduled().apiKeys())
        .singleElement()
        .satisfies(
            k -> {
              assertThat(k.revokedAt()).isEqualTo(scheduled);
              assertThat(k.revokedBy()).isEqualTo("user_1");
              assertThat(k.token()).isEmpty();
            });
    assertThat(row(key.id()).revokedAt()).isEqualTo(scheduled);

    RevokeResult result = handle.await(Duration.ofSeconds(30));

    assertThat(result.scheduledAt()).isEqualTo(scheduled);
    assertThat(row(key.id()).revokedAt()).isEqualTo(scheduled);
    assertThat(row(key.id()).revokedBy()).isEqualTo("user_1");
    assertThat(result.apiKeys()).extracting(ApiKeyDTO::revokedAt).containsExactly(scheduled);
    assertThat(revocationStatus(handle)).isEqualTo("revoked");
    assertThat(events()).extracting(e -> e.data().get("id").asText()).containsExactly(key.id());
  }

  @Test
  void zeroSecondRevokeStampsAtOnce() throws Exception {
    ApiKeyDTO key = secret("k");
    RevocationHandle handle = revoke(key.id(), "user_1", 0, null);
    RevokeResult result = handle.await(Duration.ofSeconds(30));
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(row(key.id()).revokedAt()).isEqualTo(handle.scheduled().scheduledAt());
    assertThat(keys.authenticate(key.token())).isEmpty();
  }

  // ---- monotonic ------------------------------------------------------------------------------

  @Test
  void monotonicWhenTheLaterRevocationComesSecond() throws Exception {
    ApiKeyDTO key = secret("k");
    RevocationHandle early = revoke(key.id(), "early", 600, null);
    RevocationHandle late = revoke(key.id(), "late", 3600, null);

    assertThat(row(key.id()).revokedAt()).isEqualTo(early.scheduled().scheduledAt());
    assertThat(row(key.id()).revokedBy()).isEqualTo("early");
    env.sleep(Duration.ofHours(2));
    early.await(Duration.ofSeconds(30));
    late.await(Duration.ofSeconds(30));
    assertThat(row(key.id()).revokedAt()).isEqualTo(early.scheduled().scheduledAt());
    assertThat(row(key.id()).revokedBy()).isEqualTo("early");
  }

  @Test
  void monotonicWhenTheEarlierRevocationComesSecond() throws Exception {
    ApiKeyDTO key = secret("k");
    RevocationHandle late = revoke(key.id(), "late", 3600, null);
    RevocationHandle early = revoke(key.id(), "early", 600, null);

    assertThat(row(key.id()).revokedAt()).isEqualTo(early.scheduled().scheduledAt());
    assertThat(row(key.id()).revokedBy()).isEqualTo("early");
    env.sleep(Duration.ofHours(2));
    late.await(Duration.ofSeconds(30));
    early.await(Duration.ofSeconds(30));
    assertThat(row(key.id()).revokedAt()).isEqualTo(early.scheduled().scheduledAt());
    assertThat(row(key.id()).revokedBy()).isEqualTo("early");
  }

  @Test
  void publishableKeyIsNeverReactivatedOrMovedLater() throws Exception {
    ApiKeyDTO key = keys.createApiKey(new CreateApiKeyDTO("p", "publishable", "u"));
    db.jdbi()
        .useHandle(
            h ->
                h.execute(
                    "update api_key set revoked_at = now() - interval '1 day', revoked_by = 'medusa'"
                        + " where id = ?",
                    key.id()));
    Instant before = row(key.id()).revokedAt();

    revoke(key.id(), "user_1", 60, null).await(Duration.ofSeconds(30));

    assertThat(row(key.id()).revokedAt()).isEqualTo(before);
    assertThat(row(key.id()).revokedBy()).isEqualTo("medusa");
  }

  // ---- cancellation ---------------------------------------------------------------------------

  @Test
  void cancelBeforeTheInstantRestoresTheKeys() throws Exception {
    ApiKeyDTO key = secret("k");
    RevocationHandle handle = revoke(key.id(), "user_1", 3600, null);
    env.sleep(Duration.ofMinutes(10));

    cancelBeforeTheInstant(handle);

    assertThatThrownBy(() -> handle.await(Duration.ofSeconds(30)))
        .isInstanceOf(WorkflowFailedException.class)
        .hasCauseInstanceOf(CanceledFailure.class);
    assertThat(row(key.id()).revokedAt()).isNull();
    assertThat(row(key.id()).revokedBy()).isNull();
    assertThat(revocationStatus(handle)).isEqualTo("cancelled");
    assertThat(keys.authenticate(key.token())).isPresent();
    assertThat(eventCount()).isZero();
  }

  @Test
  void cancelAfterTheInstantChangesNothingAndSaysSo() throws Exception {
    ApiKeyDTO key = secret("k");
    activities.stampStarted = new CountDownLatch(1);
    activities.releaseStamp = new CountDownLatch(1);
    RevocationHandle handle = revoke(key.id(), "user_1", 60, null);
    WorkflowStub stub = env.getWorkflowClient().newUntypedWorkflowStub(handle.workflowId());
    Future<RevokeResult> result =
        Executors.newSingleThreadExecutor().submit(() -> stub.getResult(RevokeResult.class));
    assertThat(activities.stampStarted.await(30, TimeUnit.SECONDS)).isTrue();

    handle.cancel();
    activities.releaseStamp.countDown();

    // Temporal closes a workflow whose cancellation was requested as cancelled; the revocation
    // itself stands, and the status query says so.
    assertThatThrownBy(() -> result.get(30, TimeUnit.SECONDS))
        .hasRootCauseInstanceOf(CanceledFailure.class);
    RevocationStatus status = handle.status();
    assertThat(status.state()).isEqualTo(RevocationState.REVOKED);
    assertThat(status.message()).isEqualTo(RevokeApiKeysWorkflowImpl.STANDS_MESSAGE);
    assertThat(revocationStatus(handle)).isEqualTo("revoked");
    assertThat(row(key.id()).revokedAt()).isEqualTo(handle.scheduled().scheduledAt());
    assertThat(eventCount()).isEqualTo(1);
  }

  @Test
  void cancelWithAnotherRevocationPendingKeepsWhatTheOtherRequires() throws Exception {
    ApiKeyDTO key = secret("k");
    RevocationHandle first = revoke(key.id(), "first", 600, null);
    RevocationHandle second = revoke(key.id(), "second", 1200, null);

    cancelBeforeTheInstant(first);
    assertClosedAsCancelled(first);

    assertThat(row(key.id()).revokedAt()).isEqualTo(second.scheduled().scheduledAt());
    assertThat(row(key.id()).revokedBy()).isEqualTo("second");
    env.sleep(Duration.ofMinutes(30));
    second.await(Duration.ofSeconds(30));
    assertThat(row(key.id()).revokedAt()).isEqualTo(second.scheduled().scheduledAt());
    assertThat(events())
        .extracting(EventOutbox.Event::revocationId)
        .containsExactly(second.scheduled().revocationId());
  }

  @Test
  void cancellingTheLaterOfTwoLeavesTheEarlier() throws Exception {
    ApiKeyDTO key = secret("k");
    RevocationHandle first = revoke(key.id(), "first", 600, null);
    RevocationHandle second = revoke(key.id(), "second", 1200, null);

    cancelBeforeTheInstant(second);
    assertClosedAsCancelled(second);

    assertThat(row(key.id()).revokedAt()).isEqualTo(first.scheduled().scheduledAt());
    assertThat(row(key.id()).revokedBy()).isEqualTo("first");
    cancelBeforeTheInstant(first);
    assertClosedAsCancelled(first);
    assertThat(row(key.id()).revokedAt()).isNull();
    assertThat(row(key.id()).revokedBy()).isNull();
  }

  // ---- updates --------------------------------------------------------------------------------

  @Test
  void rescheduleEarlierMovesTheKeyAndTheStamp() throws Exception {
    ApiKeyDTO key = secret("k");
    RevocationHandle handle = revoke(key.id(), "user_1", 3600, null);

    RevocationStatus moved = handle.reschedule(60);

    assertThat(moved.scheduledAt()).isBefore(handle.scheduled().scheduledAt());
    assertThat(row(key.id()).revokedAt()).isEqualTo(moved.scheduledAt());
    RevokeResult result = handle.await(Duration.ofSeconds(30));
    assertThat(result.scheduledAt()).isEqualTo(moved.scheduledAt());
    assertThat(row(key.id()).revokedAt()).isEqualTo(moved.scheduledAt());
  }

  @Test
  void rescheduleLaterMovesTheKeyLaterAndTheTimerWaits() throws Exception {
    ApiKeyDTO key = secret("k");
    RevocationHandle handle = revoke(key.id(), "user_1", 60, null);

    RevocationStatus moved = handle.reschedule(7200);

    assertThat(row(key.id()).revokedAt()).isEqualTo(moved.scheduledAt());
    env.sleep(Duration.ofMinutes(30));
    assertThat(handle.status().state()).isEqualTo(RevocationState.SCHEDULED);
    assertThat(eventCount()).isZero();
    RevokeResult result = handle.await(Duration.ofSeconds(30));
    assertThat(row(key.id()).revokedAt()).isEqualTo(moved.scheduledAt());
    assertThat(result.scheduledAt()).isEqualTo(moved.scheduledAt());
  }

  @Test
  void revokeNowStampsAtOnceAndLaterUpdatesAreRefused() throws Exception {
    ApiKeyDTO key = secret("k");
    RevocationHandle handle = revoke(key.id(), "user_1", 86_400, null);

    RevocationStatus now = handle.revokeNow();

    assertThat(now.scheduledAt()).isBefore(handle.scheduled().scheduledAt());
    RevokeResult result = handle.await(Duration.ofSeconds(30));
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(row(key.id()).revokedAt()).isEqualTo(now.scheduledAt());
    assertThat(keys.authenticate(key.token())).isEmpty();
  }

  @Test
  void updatesAreValidated() {
    ApiKeyDTO key = secret("k");
    RevocationHandle handle = revoke(key.id(), "user_1", 600, null);
    RevokeApiKeysWorkflow wf =
        env.getWorkflowClient().newWorkflowStub(RevokeApiKeysWorkflow.class, handle.workflowId());

    assertThatThrownBy(() -> wf.reschedule(new RescheduleRequest(JSON.valueToTree("60"), null)))
        .hasRootCauseInstanceOf(ApplicationFailure.class)
        .rootCause()
        .hasMessageContaining("revoke_in: expected a whole number of seconds, got string");
    assertThatThrownBy(() -> wf.reschedule(new RescheduleRequest(JSON.valueToTree(-1), null)))
        .rootCause()
        .hasMessageContaining("revoke_in: must be 0 or more seconds");
    assertThat(row(key.id()).revokedAt()).isEqualTo(handle.scheduled().scheduledAt());
  }

  // ---- idempotency ----------------------------------------------------------------------------

  @Test
  void tenConcurrentStartsWithOneIdempotencyKeyMakeOneRevocation() throws Exception {
    ApiKeyDTO key = secret("k");
    ExecutorService pool = Executors.newFixedThreadPool(10);
    List<Future<RevocationHandle>> starts = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      starts.add(pool.submit(() -> revoke(key.id(), "user_1", 60, "rk-concurrent")));
    }
    Set<String> revocationIds = new java.util.HashSet<>();
    for (Future<RevocationHandle> f : starts) {
      revocationIds.add(f.get(60, TimeUnit.SECONDS).scheduled().revocationId());
    }
    pool.shutdown();

    assertThat(revocationIds).hasSize(1);
    assertThat(count("select count(*) from apikeys_revocation")).isEqualTo(1);
    RevokeResult result =
        module
            .revocation(RevocationNames.workflowIdFor("rk-concurrent"))
            .await(Duration.ofSeconds(30));
    assertThat(result.revocationId()).isIn(revocationIds);
    assertThat(eventCount()).isEqualTo(1);

    // After it finished, the same key again gives the same revocation and no second event.
    RevocationHandle again = revoke(key.id(), "user_1", 60, "rk-concurrent");
    assertThat(again.scheduled().revocationId()).isIn(revocationIds);
    assertThat(again.await(Duration.ofSeconds(30)).revocationId()).isIn(revocationIds);
    assertThat(count("select count(*) from apikeys_revocation")).isEqualTo(1);
    assertThat(eventCount()).isEqualTo(1);
  }

  @Test
  void theSameIdempotencyKeyUnderAnotherWorkflowIdIsADuplicate() throws Exception {
    ApiKeyDTO key = secret("k");
    RevocationHandle original = revoke(key.id(), "user_1", 60, "rk-cli");
    // The Temporal CLI picks its own workflow id.
    WorkflowStub cli =
        env.getWorkflowClient()
            .newUntypedWorkflowStub(
                RevocationNames.WORKFLOW_TYPE,
                WorkflowOptions.newBuilder()
                    .setTaskQueue(taskQueue)
                    .setWorkflowId("cli-chosen-id")
                    .build());
    cli.start(
        RevokeRequest.ofId(
            key.id(),
            new RevokeApiKeyDTO("user_1", 60L),
            SharedContext.newBuilder().setIdempotencyKey("rk-cli").build()));

    RevokeResult dup = cli.getResult(RevokeResult.class);

    assertThat(dup.revocationId()).isEqualTo(original.scheduled().revocationId());
    assertThat(dup.duplicateOf()).isEqualTo(original.workflowId());
    assertThat(dup.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(count("select count(*) from apikeys_revocation")).isEqualTo(1);
    assertThat(eventCount()).isEqualTo(1);
  }

  @Test
  void theSameIdempotencyKeyWithAnotherRequestIsAConflict() {
    ApiKeyDTO key = secret("k");
    revoke(key.id(), "user_1", 60, "rk-conflict");
    WorkflowStub cli =
        env.getWorkflowClient()
            .newUntypedWorkflowStub(
                RevocationNames.WORKFLOW_TYPE,
                WorkflowOptions.newBuilder()
                    .setTaskQueue(taskQueue)
                    .setWorkflowId("other")
                    .build());
    cli.start(
        RevokeRequest.ofId(
            key.id(),
            new RevokeApiKeyDTO("someone_else", 60L),
            SharedContext.newBuilder().setIdempotencyKey("rk-conflict").build()));

    assertThatThrownBy(() -> cli.getResult(RevokeResult.class))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo("CONFLICT");
              assertThat(f.getOriginalMessage())
                  .startsWith("idempotency key \"rk-conflict\" was already used");
            });
    assertThat(count("select count(*) from apikeys_revocation")).isEqualTo(1);
    assertThat(row(key.id()).revokedBy()).isEqualTo("user_1");
  }

  @Test
  void aRetryAfterTheStampCommittedChangesNothing() throws Exception {
    ApiKeyDTO key = secret("k");
    activities.loseFirstStampCompletion = true;
    RevocationHandle handle = revoke(key.id(), "user_1", 30, null);

    RevokeResult result = handle.await(Duration.ofSeconds(60));

    assertThat(activities.stampCalls.get()).isGreaterThanOrEqualTo(2);
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(row(key.id()).revokedAt()).isEqualTo(handle.scheduled().scheduledAt());
    assertThat(eventCount()).isEqualTo(1);
  }

  // ---- refusals -------------------------------------------------------------------------------

  @Test
  void everyRefusalIsTypedAndChangesNothing() {
    ApiKeyDTO key = secret("k");
    ApiKeyDTO revoked = secret("r");
    ApiKeyDTO revoked2 = secret("r2");
    db.jdbi()
        .useHandle(
            h ->
                h.execute(
                    "update api_key set revoked_at = now() - interval '1 minute', revoked_by = 'x'"
                        + " where id in (?, ?)",
                    revoked.id(),
                    revoked2.id()));

    assertRefused(
        () -> module.revoke(key.id(), new RevokeApiKeyDTO(null, 0L), null),
        ApiKeyErrorType.INVALID_DATA,
        "You must provide a revoked_by field when revoking a key.");
    assertRefused(
        () -> module.revoke(key.id(), new RevokeApiKeyDTO("  ", 0L), null),
        ApiKeyErrorType.INVALID_DATA,
        "You must provide a revoked_by field when revoking a key.");
    assertRefused(
        () -> module.revoke("apk_missing", RevokeApiKeyDTO.now("u"), null),
        ApiKeyErrorType.NOT_FOUND,
        "ApiKey with id \"apk_missing\" not found");
    assertRefused(
        () ->
            module.revoke(
                FilterableApiKeyProps.ids(key.id(), revoked.id(), revoked2.id()),
                RevokeApiKeyDTO.now("u"),
                null),
        ApiKeyErrorType.INVALID_DATA,
        "There are 2 secret keys that are already revoked.");
    assertRefused(
        () ->
            module.revoke(
                FilterableApiKeyProps.of(JSON.createObjectNode()), RevokeApiKeyDTO.now("u"), null),
        ApiKeyErrorType.INVALID_DATA,
        "selector: an empty selector would match every key");
    assertRefused(
        () -> module.revoke(key.id(), new RevokeApiKeyDTO("u", -1L), null),
        ApiKeyErrorType.INVALID_DATA,
        "data.revoke_in: must be 0 or more seconds");
    assertRefused(
        () ->
            module.revoke(
                FilterableApiKeyProps.of(node("{\"revoked_at\":{\"$foo\":1}}")),
                RevokeApiKeyDTO.now("u"),
                null),
        ApiKeyErrorType.INVALID_DATA,
        "selector.revoked_at.$foo");

    // Through the workflow as raw JSON, where Medusa would coerce or guess.
    assertWorkflowRefused(
        "{\"id\":\"" + key.id() + "\",\"data\":{\"revoked_by\":\"u\",\"revoke_in\":\"60\"}}",
        "data.revoke_in: expected a whole number of seconds, got string");
    assertWorkflowRefused(
        "{\"id\":[\"" + key.id() + "\"],\"data\":{\"revoked_by\":\"u\"}}",
        "id: expected a string, got array");
    assertWorkflowRefused(
        "{\"selector\":{},\"data\":{\"revoked_by\":\"u\"}}",
        "selector: an empty selector would match every key");
    assertWorkflowRefused("[1,2]", "request: expected a JSON object");

    assertThat(row(key.id()).revokedAt()).isNull();
    assertThat(count("select count(*) from apikeys_revocation")).isZero();
    assertThat(count("select count(*) from apikeys_revocation_key")).isZero();
  }

  @Test
  void aSelectorMatchingNothingIsAnEmptyResult() throws Exception {
    secret("k");
    List<ApiKeyDTO> scheduled =
        module.revoke(
            FilterableApiKeyProps.where("created_by", "nobody"), RevokeApiKeyDTO.now("u"), null);
    assertThat(scheduled).isEmpty();
    assertThat(count("select count(*) from api_key where revoked_at is not null")).isZero();
  }

  @Test
  void aSelectorRevokesEveryMatchingKeyAndOnlyThose() throws Exception {
    ApiKeyDTO a = keys.createApiKey(new CreateApiKeyDTO("a", "publishable", "alice"));
    ApiKeyDTO b = keys.createApiKey(new CreateApiKeyDTO("b", "publishable", "alice"));
    ApiKeyDTO c = keys.createApiKey(new CreateApiKeyDTO("c", "publishable", "bob"));

    List<ApiKeyDTO> scheduled =
        module.revoke(
            FilterableApiKeyProps.where("created_by", "alice"),
            new RevokeApiKeyDTO("admin", 120L),
            null);

    assertThat(scheduled).extracting(ApiKeyDTO::id).containsExactlyInAnyOrder(a.id(), b.id());
    assertThat(scheduled).extracting(ApiKeyDTO::revokedBy).containsOnly("admin");
    assertThat(row(c.id()).revokedAt()).isNull();
    // A key created after scheduling is not swept in.
    ApiKeyDTO late = keys.createApiKey(new CreateApiKeyDTO("d", "publishable", "alice"));
    env.sleep(Duration.ofMinutes(5));
    assertThat(row(late.id()).revokedAt()).isNull();
    assertThat(eventCount()).isEqualTo(2);
  }

  // ---- context --------------------------------------------------------------------------------

  @Test
  void isCancellingStartsNothing() {
    ApiKeyDTO key = secret("k");
    ApiKeyDTO answer =
        module.revoke(
            key.id(),
            RevokeApiKeyDTO.now("u"),
            SharedContext.newBuilder().setIsCancelling(true).build());
    assertThat(answer.revokedAt()).isNull();
    assertThat(count("select count(*) from apikeys_revocation")).isZero();
  }

  @Test
  void contextIsRecordedAndHeldEventsWaitForTheirGroup() throws Exception {
    ApiKeyDTO key = secret("k");
    SharedContext ctx =
        SharedContext.newBuilder()
            .setRequestId("req_1")
            .setTransactionId("tx_1")
            .setRunId("run_1")
            .setEventGroupId("grp_1")
            .setPreventReleaseEvents(true)
            .build();
    RevocationHandle handle =
        startRevoke(RevokeRequest.ofId(key.id(), RevokeApiKeyDTO.now("u"), ctx));
    handle.await(Duration.ofSeconds(30));

    EventOutbox outbox = new EventOutbox();
    assertThat(outbox.readAfter(db.jdbi(), 0, 100)).isEmpty();
    assertThat(eventCount()).isEqualTo(1);
    assertThat(outbox.releaseGroup(db.jdbi(), "grp_1")).isEqualTo(1);
    assertThat(outbox.readAfter(db.jdbi(), 0, 100))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.name()).isEqualTo("api_key.revoked");
              assertThat(e.eventGroupId()).isEqualTo("grp_1");
              assertThat(e.requestId()).isEqualTo("req_1");
              assertThat(e.transactionId()).isEqualTo("tx_1");
              assertThat(e.runId()).isEqualTo("run_1");
            });
  }

  // ---- helpers --------------------------------------------------------------------------------

  private ApiKeyDTO secret(String title) {
    return keys.createApiKey(new CreateApiKeyDTO(title, "secret", "user_1"));
  }

  /**
   * Cancels and waits until the database shows the revocation cancelled. Blocking on the result
   * instead would let the test server skip time, possibly past the instant before the cancel is
   * processed, and then the revocation would rightly stand.
   */
  private void cancelBeforeTheInstant(RevocationHandle handle) throws InterruptedException {
    handle.cancel();
    for (int i = 0; i < 200 && !"cancelled".equals(revocationStatus(handle)); i++) {
      Thread.sleep(50);
    }
    assertThat(revocationStatus(handle)).isEqualTo("cancelled");
  }

  /**
   * Waits, without blocking on the result, until the workflow has closed as cancelled. Blocking on
   * a result lets the test server skip time while it waits, and a skip would run the timers of the
   * other revocations still pending in the test, which the test means to act on before their
   * instants (the cause of an earlier flaky failure: "expected cancelled but was revoked").
   */
  private void assertClosedAsCancelled(RevocationHandle handle) throws InterruptedException {
    WorkflowStub stub = env.getWorkflowClient().newUntypedWorkflowStub(handle.workflowId());
    for (int i = 0;
        i < 200
            && stub.describe().getStatus()
                == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
        i++) {
      Thread.sleep(50);
    }
    assertThat(stub.describe().getStatus())
        .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED);
  }

  private RevocationHandle revoke(String id, String by, long in, String idempotencyKey) {
    SharedContext ctx =
        idempotencyKey == null
            ? null
            : SharedContext.newBuilder().setIdempotencyKey(idempotencyKey).build();
    return startRevoke(RevokeRequest.ofId(id, new RevokeApiKeyDTO(by, in), ctx));
  }

  private RevocationHandle startRevoke(RevokeRequest request) {
    return module.startRevoke(request);
  }

  private void assertWorkflowRefused(String json, String messagePrefix) {
    WorkflowStub stub =
        env.getWorkflowClient()
            .newUntypedWorkflowStub(
                RevocationNames.WORKFLOW_TYPE,
                WorkflowOptions.newBuilder()
                    .setTaskQueue(taskQueue)
                    .setWorkflowId("refused-" + java.util.UUID.randomUUID())
                    .build());
    stub.start(node(json));
    assertThatThrownBy(() -> stub.getResult(RevokeResult.class))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo("INVALID_DATA");
              assertThat(f.getOriginalMessage()).startsWith(messagePrefix);
              assertThat(f.isNonRetryable()).isTrue();
            });
    // The status query of a refused revocation says why, as the failure does.
    RevocationStatus status = stub.query(RevocationNames.QUERY_STATUS, RevocationStatus.class);
    assertThat(status.state()).isEqualTo(RevocationState.REFUSED);
    assertThat(status.refusalType()).isEqualTo("INVALID_DATA");
    assertThat(status.message()).startsWith(messagePrefix);
  }

  private static void assertRefused(Runnable call, ApiKeyErrorType type, String messagePrefix) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(ApiKeyException.class, e -> assertThat(e.getType()).isEqualTo(type))
        .hasMessageStartingWith(messagePrefix);
  }

  private static JsonNode node(String json) {
    try {
      return JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  record KeyRow(Instant revokedAt, String revokedBy) {}

  private KeyRow row(String id) {
    return db.jdbi()
        .withHandle(
            h ->
                h.createQuery("select revoked_at, revoked_by from api_key where id = :id")
                    .bind("id", id)
                    .map(
                        (rs, ctx) ->
                            new KeyRow(
                                rs.getTimestamp("revoked_at") == null
                                    ? null
                                    : rs.getTimestamp("revoked_at")
                                        .toInstant()
                                        .truncatedTo(ChronoUnit.MILLIS),
                                rs.getString("revoked_by")))
                    .one());
  }

  private String revocationStatus(RevocationHandle handle) {
    return db.jdbi()
        .withHandle(
            h ->
                h.createQuery("select status from apikeys_revocation where id = :id")
                    .bind("id", handle.scheduled().revocationId())
                    .mapTo(String.class)
                    .one());
  }

  private long eventCount() {
    return count("select count(*) from apikeys_event where name = 'api_key.revoked'");
  }

  /** The {@code api_key.revoked} events, oldest first. */
  private List<EventOutbox.Event> events() {
    return new EventOutbox()
        .readAfter(db.jdbi(), 0, 10_000).stream()
            .filter(e -> e.name().equals("api_key.revoked"))
            .toList();
  }

  private long count(String sql) {
    return db.jdbi().withHandle(h -> h.createQuery(sql).mapTo(Long.class).one());
  }
}
