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
import dev.apikeys.store.TestDatabase;
import dev.apikeys.testing.ApiKeysTestKit;
import dev.apikeys.testing.ClientTestKit;
import dev.apikeys.testing.TestStack;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Each promise of a revocation at its worst moment, with time skipping on the real activities and
 * PostgreSQL: a cancel while the schedule activity has committed but not answered, a cancel before
 * the first workflow task, a cancel while a reschedule or a revoke-now is in flight, one
 * idempotency key used for two different requests, and results whose keys would not fit a payload.
 * The activities pause where the test says (see {@link ScriptedActivities}), so every interleaving
 * here happens on every run.
 *
 * <p>No test blocks on a workflow result while another revocation waits for its instant: a client
 * blocked on a result lets the test server skip time.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RevocationMomentsTest {
  private static final ObjectMapper JSON = ApiKeysJson.newObjectMapper();

  @RegisterExtension
  static final ApiKeysTestKit kit =
      ClientTestKit.newBuilder()
          .revocationSelectorTimeout(Duration.ofSeconds(30))
          .revocationActivities(
              s -> new ScriptedActivities(new RevocationActivitiesImpl(s.revocations())))
          .build();

  private TestDatabase db;
  private ApiKeyStore keys;
  private ApiKeyModuleService module;
  private ScriptedActivities activities;
  private TestWorkflowEnvironment env;
  private WorkflowClient client;
  private String taskQueue;
  private final ExecutorService background = Executors.newCachedThreadPool();

  @BeforeEach
  void setUp(TestStack stack, ApiKeyModuleService module, ScriptedActivities activities) {
    this.env = stack.env();
    this.client = stack.client();
    this.db = stack.db();
    this.keys = stack.keys();
    this.activities = activities;
    this.taskQueue = stack.taskQueue();
    this.module = module;
  }

  @AfterEach
  void tearDown() {
    background.shutdownNow();
  }

  // ---- cancel at every moment -----------------------------------------------------------------

  /**
   * The first report: a cancel that reached the workflow while the schedule activity ran.
   * The activity committed; the workflow must hear its answer and undo it.
   */
  @Test
  void aCancelWhileTheScheduleActivityRunsLeavesTheKeysAsTheyWere() throws Exception {
    ApiKeyDTO key = secret("k");
    activities.scheduleCommitted = new CountDownLatch(1);
    activities.releaseSchedule = new CountDownLatch(1);
    WorkflowStub stub =
        startByTypeName(
            "{\"id\":\"" + key.id() + "\",\"data\":{\"revoked_by\":\"me\",\"revoke_in\":600}}");

    assertThat(activities.scheduleCommitted.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(row(key.id()).revokedAt()).as("the schedule committed").isNotNull();
    stub.cancel();
    // The workflow has seen the cancel before the activity answers: the worst moment.
    awaitCancelSeen(stub);
    activities.releaseSchedule.countDown();

    assertClosed(stub, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED);
    RevocationStatus status = stub.query(RevocationNames.QUERY_STATUS, RevocationStatus.class);
    assertThat(status.state()).isEqualTo(RevocationState.CANCELLED);
    assertThat(revocationStatuses()).containsExactly("cancelled");
    assertThat(row(key.id()).revokedAt()).isNull();
    assertThat(row(key.id()).revokedBy()).isNull();
    assertThat(keys.authenticate(key.token())).isPresent();
    assertThat(revokedEvents()).isZero();
  }

  /** A cancel that is already there when the workflow first runs: nothing is scheduled at all. */
  @Test
  void aCancelBeforeTheFirstWorkflowTaskSchedulesNothing() throws Exception {
    ApiKeyDTO key = secret("k");
    WorkflowStub stub =
        client.newUntypedWorkflowStub(
            RevocationNames.WORKFLOW_TYPE,
            WorkflowOptions.newBuilder()
                .setTaskQueue(taskQueue)
                .setWorkflowId("zero-delay-" + UUID.randomUUID())
                .setStartDelay(Duration.ofMinutes(1))
                .build());
    stub.start(
        node("{\"id\":\"" + key.id() + "\",\"data\":{\"revoked_by\":\"me\",\"revoke_in\":600}}"));
    stub.cancel();
    env.sleep(Duration.ofMinutes(2));

    assertClosed(stub, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED);
    assertThat(revocationStatuses()).isEmpty();
    assertThat(row(key.id()).revokedAt()).isNull();
  }

  /**
   * A cancel that reaches the workflow while a reschedule's activity has committed: the update's
   * answer (the new instant) was true when given, and the cancel that follows it puts the keys
   * back.
   */
  @Test
  void aCancelWhileARescheduleRunsStillPutsTheKeysBack() throws Exception {
    ApiKeyDTO key = secret("k");
    RevocationHandle handle = revoke(key.id(), "me", 3600, null);
    activities.rescheduleCommitted = new CountDownLatch(1);
    activities.releaseReschedule = new CountDownLatch(1);
    Future<RevocationStatus> moved = background.submit(() -> handle.reschedule(600, "ops"));

    assertThat(activities.rescheduleCommitted.await(30, TimeUnit.SECONDS)).isTrue();
    handle.cancel("alice");
    activities.releaseReschedule.countDown();

    RevocationStatus answer = moved.get(30, TimeUnit.SECONDS);
    assertThat(answer.state()).isEqualTo(RevocationState.SCHEDULED);
    assertThat(answer.scheduledAt()).isBefore(handle.revocation().scheduledAt());
    assertClosed(workflow(handle), WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED);
    assertThat(handle.status().state()).isEqualTo(RevocationState.CANCELLED);
    assertThat(row(key.id()).revokedAt()).isNull();
    assertThat(revocationStatuses()).containsExactly("cancelled");
    assertThat(revocationColumn("cancelled_by")).isEqualTo("alice");
    assertThat(revocationColumn("rescheduled_by")).isEqualTo("ops");
    assertThat(revokedEvents()).isZero();
    assertThat(eventNames())
        .containsExactly("api_key.revocation_rescheduled", "api_key.revocation_cancelled");
  }

  /**
   * A cancel that reaches the workflow while a revoke-now has committed: by then the instant has
   * passed in the database, so the revocation stands, is stamped, and says so.
   */
  @Test
  void aCancelWhileARevokeNowRunsFindsTheRevocationStanding() throws Exception {
    ApiKeyDTO key = secret("k");
    RevocationHandle handle = revoke(key.id(), "me", 3600, null);
    activities.rescheduleCommitted = new CountDownLatch(1);
    activities.releaseReschedule = new CountDownLatch(1);
    Future<RevocationStatus> now = background.submit(() -> handle.revokeNow("ops"));

    assertThat(activities.rescheduleCommitted.await(30, TimeUnit.SECONDS)).isTrue();
    handle.cancel();
    activities.releaseReschedule.countDown();

    Instant instant = now.get(30, TimeUnit.SECONDS).scheduledAt();
    assertClosed(workflow(handle), null);
    RevocationStatus status = handle.status();
    assertThat(status.state()).isEqualTo(RevocationState.REVOKED);
    assertThat(status.message()).isEqualTo(RevokeApiKeysWorkflowImpl.STANDS_MESSAGE);
    assertThat(revocationStatuses()).containsExactly("revoked");
    assertThat(row(key.id()).revokedAt()).isEqualTo(instant);
    assertThat(keys.authenticate(key.token())).isEmpty();
    assertThat(revokedEvents()).isEqualTo(1);
    RevokeResult result = handle.await(Duration.ofSeconds(10));
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(result.message()).isEqualTo(RevokeApiKeysWorkflowImpl.STANDS_MESSAGE);
  }

  /** A cancel after the instant, through the handle: NOT_ALLOWED, saying the revocation stands. */
  @Test
  void cancelAndWaitAfterTheInstantIsRefusedAndChangesNothing() throws Exception {
    ApiKeyDTO key = secret("k");
    RevocationHandle handle = revoke(key.id(), "me", 0, null);
    handle.await(Duration.ofSeconds(30));

    assertThatThrownBy(() -> handle.cancelAndWait(Duration.ofSeconds(10)))
        .isInstanceOfSatisfying(
            ApiKeyException.class,
            e -> assertThat(e.getType()).isEqualTo(ApiKeyErrorType.NOT_ALLOWED));
    assertThat(revocationStatuses()).containsExactly("revoked");
    assertThat(keys.authenticate(key.token())).isEmpty();
  }

  // ---- one idempotency key, one request -------------------------------------------------------

  /** The second report: a second request under a used key got the first one's answer. */
  @Test
  void oneIdempotencyKeyWithAnotherRequestIsAConflictWhileTheFirstRunsAndAfter() throws Exception {
    ApiKeyDTO a = secret("a");
    ApiKeyDTO b = secret("b");
    RevocationHandle first = revoke(a.id(), "me", 60, "k");

    assertRefused(
        () -> revoke(b.id(), "me", 60, "k"),
        ApiKeyErrorType.CONFLICT,
        "idempotency key \"k\" was already used for a different revoke request");
    assertRefused(
        () -> revoke(a.id(), "someone-else", 60, "k"),
        ApiKeyErrorType.CONFLICT,
        "idempotency key \"k\"");
    assertRefused(
        () -> revoke(a.id(), "me", 61, "k"), ApiKeyErrorType.CONFLICT, "idempotency key \"k\"");
    assertThat(row(b.id()).revokedAt()).isNull();
    // The same request joins.
    assertThat(revoke(a.id(), "me", 60, "k").revocation().revocationId())
        .isEqualTo(first.revocation().revocationId());

    RevokeResult done = first.await(Duration.ofSeconds(30));
    assertThat(done.status()).isEqualTo(RevocationState.REVOKED);
    assertRefused(
        () -> revoke(b.id(), "me", 60, "k"),
        ApiKeyErrorType.CONFLICT,
        "idempotency key \"k\" was already used for a different revoke request");
    assertThat(revoke(a.id(), "me", 60, "k").revocation().revocationId())
        .isEqualTo(first.revocation().revocationId());
    assertThat(row(b.id()).revokedAt()).isNull();
    assertThat(revocationStatuses()).containsExactly("revoked");
    assertThat(revokedEvents()).isEqualTo(1);
  }

  /** The same promise through the Java API's two overloads. */
  @Test
  void theModuleServiceRefusesAnotherRequestUnderAUsedKey() {
    ApiKeyDTO a = secret("a");
    ApiKeyDTO b = secret("b");
    SharedContext ctx = SharedContext.newBuilder().setIdempotencyKey("svc").build();
    module.revoke(a.id(), new RevokeApiKeyDTO("me", 60L), ctx);

    assertRefused(
        () -> module.revoke(b.id(), new RevokeApiKeyDTO("me", 60L), ctx),
        ApiKeyErrorType.CONFLICT,
        "idempotency key \"svc\"");
    assertRefused(
        () -> module.revoke(FilterableApiKeyProps.ids(b.id()), new RevokeApiKeyDTO("me", 60L), ctx),
        ApiKeyErrorType.CONFLICT,
        "idempotency key \"svc\"");
    assertThat(row(b.id()).revokedAt()).isNull();
  }

  // ---- payloads bounded by bytes --------------------------------------------------------------

  /**
   * The third report: 1,000 keys with 10,000-character titles. Every payload in the history
   * stays under Temporal's 512 KB warning; the result lists what fits its byte budget.
   */
  @Test
  void aThousandKeysWithTenThousandCharacterTitlesComplete() throws Exception {
    String title = "t".repeat(10_000);
    for (int i = 0; i < 10; i++) {
      keys.createApiKeys(
          java.util.stream.IntStream.range(0, 100)
              .mapToObj(n -> new CreateApiKeyDTO(title, "publishable", "wide"))
              .toList());
    }
    RevocationHandle handle =
        module.startRevoke(
            RevokeRequest.ofSelector(
                FilterableApiKeyProps.where("created_by", "wide").json(),
                RevokeApiKeyDTO.now("me"),
                null));
    RevokeResult result = handle.await(Duration.ofSeconds(60));

    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(result.keyCount()).isEqualTo(1_000);
    assertThat(result.truncated()).isTrue();
    assertThat(result.apiKeys()).isNotEmpty().hasSizeLessThan(30);
    assertThat(JSON.writeValueAsBytes(result).length).isLessThan(300 * 1024);
    assertThat(largestHistoryEvent(handle.workflowId())).isLessThan(512 * 1024);
    assertThat(revokedEvents()).isEqualTo(1_000);
    assertThat(
            module.revoke(
                FilterableApiKeyProps.where("created_by", "nobody"),
                RevokeApiKeyDTO.now("me"),
                null))
        .isEmpty();
  }

  /** 100,000 keys: the same budget, and the history does not grow with the key count. */
  @Test
  void aHundredThousandKeysComplete() throws Exception {
    db.jdbi()
        .useHandle(
            h ->
                h.execute(
                    "insert into api_key (id, token, salt, redacted, title, type, created_by)"
                        + " select 'apk_bulk' || lpad(cast(n as text), 8, '0'), 'pk_bulk' || n, '',"
                        + " 'pk_bul***' || n, 'bulk', 'publishable', 'bulk'"
                        + " from generate_series(1, 100000) n"));
    RevocationHandle handle =
        module.startRevoke(
            RevokeRequest.ofSelector(
                FilterableApiKeyProps.where("created_by", "bulk").json(),
                RevokeApiKeyDTO.now("me"),
                null));
    RevokeResult result = handle.await(Duration.ofSeconds(90));

    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(result.keyCount()).isEqualTo(100_000);
    assertThat(result.truncated()).isTrue();
    assertThat(JSON.writeValueAsBytes(result).length).isLessThan(300 * 1024);
    assertThat(largestHistoryEvent(handle.workflowId())).isLessThan(512 * 1024);
    assertThat(
            count(
                "select count(*) from api_key where created_by = 'bulk'"
                    + " and revoked_at = '"
                    + result.scheduledAt()
                    + "'"))
        .isEqualTo(100_000);
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** The largest event of a workflow's history, in bytes as the server stores it. */
  private long largestHistoryEvent(String workflowId) {
    return client.fetchHistory(workflowId).getEvents().stream()
        .map(HistoryEvent::getSerializedSize)
        .max(Comparator.naturalOrder())
        .orElse(0);
  }

  private ApiKeyDTO secret(String title) {
    return keys.createApiKey(new CreateApiKeyDTO(title, "secret", "user_1"));
  }

  private RevocationHandle revoke(String id, String by, long in, String idempotencyKey) {
    SharedContext ctx =
        idempotencyKey == null
            ? null
            : SharedContext.newBuilder().setIdempotencyKey(idempotencyKey).build();
    return module.startRevoke(RevokeRequest.ofId(id, new RevokeApiKeyDTO(by, in), ctx));
  }

  private WorkflowStub startByTypeName(String json) {
    WorkflowStub stub =
        client.newUntypedWorkflowStub(
            RevocationNames.WORKFLOW_TYPE,
            WorkflowOptions.newBuilder()
                .setTaskQueue(taskQueue)
                .setWorkflowId("by-type-" + UUID.randomUUID())
                .build());
    stub.start(node(json));
    return stub;
  }

  /**
   * Waits until the workflow has run a workflow task after its cancel request, or closed: from then
   * on, the workflow knows of the cancel.
   */
  private void awaitCancelSeen(WorkflowStub stub) throws InterruptedException {
    String workflowId = stub.getExecution().getWorkflowId();
    for (int i = 0; i < 400; i++) {
      boolean requested = false;
      for (HistoryEvent e : client.fetchHistory(workflowId).getEvents()) {
        if (e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED) {
          requested = true;
        } else if (requested
            && (e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
                || e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED)) {
          return;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the workflow never ran a task after its cancel request");
  }

  private WorkflowStub workflow(RevocationHandle handle) {
    return client.newUntypedWorkflowStub(handle.workflowId());
  }

  /**
   * Waits, without blocking on the result (which would let the test server skip time), until the
   * workflow has closed, and checks how; any closed status when {@code expected} is null.
   */
  private static void assertClosed(WorkflowStub stub, WorkflowExecutionStatus expected)
      throws InterruptedException {
    WorkflowExecutionStatus status = stub.describe().getStatus();
    for (int i = 0;
        i < 400 && status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
        i++) {
      Thread.sleep(50);
      status = stub.describe().getStatus();
    }
    if (expected == null) {
      assertThat(status).isNotEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    } else {
      assertThat(status).isEqualTo(expected);
    }
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

  private java.util.List<String> revocationStatuses() {
    return db.jdbi()
        .withHandle(
            h ->
                h.createQuery("select status from apikeys_revocation order by seq")
                    .mapTo(String.class)
                    .list());
  }

  private String revocationColumn(String column) {
    return db.jdbi()
        .withHandle(
            h ->
                h.createQuery("select " + column + " from apikeys_revocation order by seq limit 1")
                    .mapTo(String.class)
                    .one());
  }

  private java.util.List<String> eventNames() {
    return db.jdbi()
        .withHandle(
            h ->
                h.createQuery("select name from apikeys_event order by seq")
                    .mapTo(String.class)
                    .list());
  }

  private long revokedEvents() {
    return count("select count(*) from apikeys_event where name = 'api_key.revoked'");
  }

  private long count(String sql) {
    return db.jdbi().withHandle(h -> h.createQuery(sql).mapTo(Long.class).one());
  }
}
