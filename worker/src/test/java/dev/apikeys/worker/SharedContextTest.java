package dev.apikeys.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apikeys.activities.RevocationReconciler;
import dev.apikeys.client.ApiKeyModuleService;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyErrorType;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.model.EventMessage;
import dev.apikeys.model.FilterableApiKeyProps;
import dev.apikeys.revocation.ReconcileReport;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.SharedContext;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowNotFoundException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Java-only fields of the shared context, on PostgreSQL and the test server on a port with the
 * real worker: revoking inside the caller's own transaction (commit, rollback, a process killed
 * between commit and the workflow's start), the isolation level of the revocation's own
 * transactions (with a serialization failure retried), nested transactions as savepoints, and the
 * message aggregator.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SharedContextTest {
  private RevocationStack stack;
  private ApiKeyModuleService service;

  @BeforeEach
  void start() {
    stack = RevocationStack.start().withWorker();
    service = stack.service();
    stack.db.jdbi().useHandle(h -> h.execute("create table offboarded (user_id text not null)"));
  }

  @AfterEach
  void stop() {
    stack.close();
  }

  // ---- the caller's transaction ---------------------------------------------------------------

  @Test
  void revokedInTheCallersTransactionAndStampedAtTheInstantOnceItCommits() throws Exception {
    ApiKeyDTO key = secret();
    ApiKeyDTO scheduled;
    try (Handle caller = stack.db.jdbi().open()) {
      caller.begin();
      caller.execute("insert into offboarded (user_id) values ('leaver')");
      scheduled =
          service.revoke(key.id(), new RevokeApiKeyDTO("hr", 2L), inTransaction(caller, "tx-1"));
      assertThat(scheduled.revokedAt()).isNotNull();
      assertThat(scheduled.revokedBy()).isEqualTo("hr");
      // Nothing is visible outside the caller's transaction until it commits.
      assertThat(revocations()).isZero();
      assertThat(stack.store().retrieveApiKey(key.id()).revokedAt()).isNull();
      caller.commit();
    }

    RevokeResult result =
        service.revocation(RevocationNames.workflowIdFor("tx-1")).await(Duration.ofSeconds(60));
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(result.scheduledAt()).isEqualTo(scheduled.revokedAt());
    assertThat(stack.store().retrieveApiKey(key.id()).revokedAt()).isEqualTo(scheduled.revokedAt());
    assertThat(offboarded()).containsExactly("leaver");
    assertThat(revocations()).isEqualTo(1);
  }

  @Test
  void aCallerWhoseTransactionRollsBackLeavesNothing() throws Exception {
    ApiKeyDTO key = secret();
    try (Handle caller = stack.db.jdbi().open()) {
      caller.begin();
      caller.execute("insert into offboarded (user_id) values ('leaver')");
      service.revoke(
          FilterableApiKeyProps.ids(key.id()),
          new RevokeApiKeyDTO("hr", 2L),
          inTransaction(caller, "tx-rollback"));
      caller.rollback();
    }
    Thread.sleep(1_000);
    assertThat(revocations()).isZero();
    assertThat(offboarded()).isEmpty();
    assertThat(stack.store().retrieveApiKey(key.id()).revokedAt()).isNull();
    assertThatThrownBy(
            () ->
                stack
                    .client
                    .client()
                    .newUntypedWorkflowStub(RevocationNames.workflowIdFor("tx-rollback"))
                    .describe())
        .isInstanceOf(WorkflowNotFoundException.class);
  }

  /** The process dies after its commit, before it starts the workflow: the reconciler does. */
  @Test
  void aProcessKilledBetweenCommitAndStartIsCompletedByTheReconciler() throws Exception {
    ApiKeyDTO key = secret();
    ProcessBuilder builder =
        new ProcessBuilder(
            Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            CallerTransactionProcess.class.getName(),
            key.id(),
            "tx-killed");
    builder.environment().putAll(stack.env());
    builder.redirectErrorStream(true);
    Process process = builder.start();
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      List<String> seen = new ArrayList<>();
      while ((line = out.readLine()) != null && !line.equals("committed")) {
        seen.add(line);
      }
      assertThat(line)
          .as("the process committed; it said:%n%s", String.join("\n", seen))
          .isEqualTo("committed");
      process.destroyForcibly();
      assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      process.destroyForcibly();
    }
    assertThat(offboarded()).containsExactly("leaver");
    assertThat(revocationStatus()).isEqualTo("scheduled");
    String workflowId = RevocationNames.workflowIdFor("tx-killed");
    assertThatThrownBy(() -> stack.client.client().newUntypedWorkflowStub(workflowId).describe())
        .as("no workflow was started")
        .isInstanceOf(WorkflowNotFoundException.class);

    ReconcileReport report =
        new RevocationReconciler(
                stack.client.client(), stack.revocations(), stack.temporal.taskQueue())
            .reconcile();

    assertThat(report.restarted()).isEqualTo(1);
    RevokeResult result = service.revocation(workflowId).await(Duration.ofSeconds(60));
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(stack.store().retrieveApiKey(key.id()).revokedAt()).isEqualTo(result.scheduledAt());
    assertThat(revocations()).isEqualTo(1);
  }

  @Test
  void managerIsTheSameAsTransactionManagerAndTwoHandlesAreRefused() throws Exception {
    ApiKeyDTO key = secret();
    try (Handle caller = stack.db.jdbi().open();
        Handle other = stack.db.jdbi().open()) {
      caller.begin();
      other.begin();
      assertRefused(
          () ->
              service.revoke(
                  key.id(),
                  new RevokeApiKeyDTO("hr", 60L),
                  SharedContext.newBuilder()
                      .setTransactionManager(caller)
                      .setManager(other)
                      .build()),
          ApiKeyErrorType.INVALID_DATA,
          "context: transactionManager and manager");
      ApiKeyDTO scheduled =
          service.revoke(
              key.id(),
              new RevokeApiKeyDTO("hr", 60L),
              SharedContext.newBuilder().setManager(caller).build());
      assertThat(scheduled.revokedBy()).isEqualTo("hr");
      caller.rollback();
      other.rollback();
    }
    assertThat(revocations()).isZero();
  }

  // ---- nested transactions --------------------------------------------------------------------

  @Test
  void aRefusalInASavepointKeepsTheCallersOtherWrites() throws Exception {
    ApiKeyDTO key = secret();
    try (Handle caller = stack.db.jdbi().open()) {
      caller.begin();
      caller.execute("insert into offboarded (user_id) values ('first')");
      SharedContext nested =
          SharedContext.newBuilder()
              .setTransactionManager(caller)
              .setEnableNestedTransactions(true)
              .build();
      // A refusal the database itself raises (an invalid regular expression) aborts what runs in
      // the savepoint only.
      assertRefused(
          () ->
              service.revoke(
                  FilterableApiKeyProps.of(
                      new ObjectMapper().readTree("{\"title\":{\"$re\":\"(\"}}")),
                  new RevokeApiKeyDTO("hr", 60L),
                  nested),
          ApiKeyErrorType.INVALID_DATA,
          "selector");
      assertRefused(
          () ->
              service.revoke(
                  "apk_01UNKNOWN0000000000000000", new RevokeApiKeyDTO("hr", 60L), nested),
          ApiKeyErrorType.NOT_FOUND,
          "ApiKey with id");
      caller.execute("insert into offboarded (user_id) values ('second')");
      service.revoke(key.id(), new RevokeApiKeyDTO("hr", 600L), nested);
      caller.commit();
    }
    assertThat(offboarded()).containsExactlyInAnyOrder("first", "second");
    assertThat(revocations()).isEqualTo(1);
  }

  @Test
  void withoutNestingARefusalLeavesTheCallersTransactionAsTheCallerLeftIt() throws Exception {
    try (Handle caller = stack.db.jdbi().open()) {
      caller.begin();
      caller.execute("insert into offboarded (user_id) values ('first')");
      String before = setting(caller, "statement_timeout") + "/" + setting(caller, "lock_timeout");
      assertRefused(
          () ->
              service.revoke(
                  "apk_01UNKNOWN0000000000000000",
                  new RevokeApiKeyDTO("hr", 60L),
                  SharedContext.newBuilder().setTransactionManager(caller).build()),
          ApiKeyErrorType.NOT_FOUND,
          "ApiKey with id");
      assertThat(setting(caller, "statement_timeout") + "/" + setting(caller, "lock_timeout"))
          .as("the revocation's timeouts are put back")
          .isEqualTo(before);
      caller.execute("insert into offboarded (user_id) values ('second')");
      caller.commit();
    }
    assertThat(offboarded()).containsExactlyInAnyOrder("first", "second");
    assertThat(revocations()).isZero();
  }

  // ---- isolation levels -----------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"READ UNCOMMITTED", "READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"})
  void everyIsolationLevelRevokesAndIsRecorded(String level) throws Exception {
    ApiKeyDTO key = secret();
    var handle =
        service.startRevoke(
            dev.apikeys.revocation.RevokeRequest.ofId(
                key.id(),
                new RevokeApiKeyDTO("hr", 1L),
                SharedContext.newBuilder().setIsolationLevel(level).build()));
    RevokeResult result = handle.await(Duration.ofSeconds(60));
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    String recorded =
        stack
            .db
            .jdbi()
            .withHandle(
                h ->
                    h.createQuery("select isolation_level from apikeys_revocation")
                        .mapTo(String.class)
                        .one());
    assertThat(recorded).isEqualTo(level);
  }

  @Test
  void anUnknownIsolationLevelIsRefusedNamingTheField() {
    ApiKeyDTO key = secret();
    assertRefused(
        () ->
            service.revoke(
                key.id(),
                new RevokeApiKeyDTO("hr", 1L),
                SharedContext.newBuilder().setIsolationLevel("SNAPSHOT").build()),
        ApiKeyErrorType.INVALID_DATA,
        "context.isolationLevel: expected READ UNCOMMITTED");
    assertThat(revocations()).isZero();
  }

  /**
   * Under SERIALIZABLE, a schedule whose snapshot predates another transaction's committed change
   * to one of its keys fails with a serialization failure: a fault, retried, never a refusal.
   */
  @Test
  void aSerializationFailureUnderSerializableIsRetried() throws Exception {
    ApiKeyDTO key = secret();
    CompletableFuture<ApiKeyDTO> revoke;
    try (Handle other = stack.db.jdbi().open()) {
      other.begin();
      other.execute("update api_key set title = 'renamed' where id = ?", key.id());
      // By selector: a single key's schedule is a local activity, whose attempts the history
      // does not show as activity tasks.
      revoke =
          CompletableFuture.supplyAsync(
              () ->
                  service
                      .revoke(
                          FilterableApiKeyProps.where("id", key.id()),
                          new RevokeApiKeyDTO("hr", 3600L),
                          SharedContext.newBuilder()
                              .setIsolationLevel("SERIALIZABLE")
                              .setIdempotencyKey("serial")
                              .build())
                      .get(0));
      // Once the schedule waits for the key's lock, its snapshot is older than this commit.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (lockWaiters() == 0) {
        assertThat(System.nanoTime()).isLessThan(deadline);
        Thread.sleep(50);
      }
      other.commit();
    }
    ApiKeyDTO scheduled = revoke.get(60, TimeUnit.SECONDS);
    assertThat(scheduled.revokedBy()).isEqualTo("hr");
    assertThat(revocations()).isEqualTo(1);
    List<HistoryEvent> history =
        stack.client.client().fetchHistory(RevocationNames.workflowIdFor("serial")).getEvents();
    // A single key's schedule is a local activity: its attempts are in its marker's metadata.
    int attempts = history.stream().mapToInt(SharedContextTest::activityAttempt).max().orElse(0);
    assertThat(attempts).as("the schedule activity was retried").isGreaterThanOrEqualTo(2);
  }

  /** The attempt an activity's started event, or a local activity's marker, records; else 0. */
  private static int activityAttempt(HistoryEvent e) {
    if (e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      return e.getActivityTaskStartedEventAttributes().getAttempt();
    }
    if (e.getEventType() == EventType.EVENT_TYPE_MARKER_RECORDED
        && e.getMarkerRecordedEventAttributes().getMarkerName().equals("LocalActivity")
        && e.getMarkerRecordedEventAttributes().containsDetails("meta")) {
      try {
        return new ObjectMapper()
            .readTree(
                e.getMarkerRecordedEventAttributes()
                    .getDetailsOrThrow("meta")
                    .getPayloads(0)
                    .getData()
                    .toStringUtf8())
            .path("atpt")
            .asInt(0);
      } catch (java.io.IOException unreadable) {
        throw new AssertionError("a local activity marker's metadata is not JSON", unreadable);
      }
    }
    return 0;
  }

  // ---- the message aggregator -----------------------------------------------------------------

  @Test
  void theAggregatorReceivesOneScheduledEventPerKey() throws Exception {
    List<ApiKeyDTO> keys =
        stack
            .store()
            .createApiKeys(
                List.of(
                    new CreateApiKeyDTO("a", "secret", "leaver"),
                    new CreateApiKeyDTO("b", "publishable", "leaver")));
    List<EventMessage> received = new ArrayList<>();
    SharedContext ctx =
        SharedContext.newBuilder()
            .setEventGroupId("grp")
            .setRequestId("req")
            .setMessageAggregator(received::addAll)
            .build();

    List<ApiKeyDTO> scheduled =
        service.revoke(
            FilterableApiKeyProps.where("created_by", "leaver"),
            new RevokeApiKeyDTO("hr", 600L),
            ctx);

    assertThat(received)
        .hasSize(2)
        .allSatisfy(
            m -> {
              assertThat(m.name()).isEqualTo(ApiKeyModuleService.EVENT_REVOCATION_SCHEDULED);
              assertThat(m.eventGroupId()).isEqualTo("grp");
              assertThat(m.requestId()).isEqualTo("req");
              assertThat(m.data())
                  .containsEntry("revoked_by", "hr")
                  .containsEntry("revoked_at", scheduled.get(0).revokedAt().toString());
            });
    assertThat(received)
        .extracting(m -> m.data().get("id"))
        .containsExactlyInAnyOrder(keys.get(0).id(), keys.get(1).id());

    // Inside a caller's transaction too.
    List<EventMessage> inTransaction = new ArrayList<>();
    ApiKeyDTO third = secret();
    try (Handle caller = stack.db.jdbi().open()) {
      caller.begin();
      service.revoke(
          third.id(),
          new RevokeApiKeyDTO("hr", 600L),
          SharedContext.newBuilder()
              .setTransactionManager(caller)
              .setMessageAggregator(inTransaction::addAll)
              .build());
      caller.commit();
    }
    assertThat(inTransaction)
        .singleElement()
        .satisfies(m -> assertThat(m.data()).containsEntry("id", third.id()));
  }

  // ---- helpers --------------------------------------------------------------------------------

  private static SharedContext inTransaction(Handle caller, String idempotencyKey) {
    return SharedContext.newBuilder()
        .setTransactionManager(caller)
        .setIdempotencyKey(idempotencyKey)
        .build();
  }

  private ApiKeyDTO secret() {
    return stack.store().createApiKey(new CreateApiKeyDTO("k", "secret", "user_1"));
  }

  private long revocations() {
    return stack
        .db
        .jdbi()
        .withHandle(
            h -> h.createQuery("select count(*) from apikeys_revocation").mapTo(Long.class).one());
  }

  private String revocationStatus() {
    return stack
        .db
        .jdbi()
        .withHandle(
            h -> h.createQuery("select status from apikeys_revocation").mapTo(String.class).one());
  }

  private List<String> offboarded() {
    return stack
        .db
        .jdbi()
        .withHandle(
            h -> h.createQuery("select user_id from offboarded").mapTo(String.class).list());
  }

  private long lockWaiters() {
    return stack
        .db
        .jdbi()
        .withHandle(
            h ->
                h.createQuery(
                        "select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
                            + " and datname = current_database()")
                    .mapTo(Long.class)
                    .one());
  }

  private static String setting(Handle h, String name) {
    return h.createQuery("select current_setting(:n)").bind("n", name).mapTo(String.class).one();
  }

  private static void assertRefused(
      ThrowingRunnable call, ApiKeyErrorType type, String messagePrefix) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(ApiKeyException.class, e -> assertThat(e.getType()).isEqualTo(type))
        .hasMessageStartingWith(messagePrefix);
  }

  @FunctionalInterface
  interface ThrowingRunnable {
    void run() throws Exception;
  }
}
