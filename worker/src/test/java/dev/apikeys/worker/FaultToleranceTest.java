package dev.apikeys.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.zaxxer.hikari.HikariDataSource;
import dev.apikeys.client.ApiKeyModuleService;
import dev.apikeys.client.RevocationHandle;
import dev.apikeys.config.TemporalConfig;
import dev.apikeys.config.TemporalConnection;
import dev.apikeys.dev.LocalTemporalServer;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyErrorType;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevocationStatus;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.SharedContext;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.ApiKeysDatabase;
import dev.apikeys.store.Database;
import dev.apikeys.store.Migrations;
import dev.apikeys.store.RevocationStore;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.ListClosedWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListOpenWorkflowExecutionsRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.CanceledFailure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Faults a revocation must survive, each against Temporal's test server bound to a loopback port
 * (real gRPC, wall-clock timers) and a real PostgreSQL:
 *
 * <ul>
 *   <li>PostgreSQL stopped while the stamp transaction is in flight and started again 10 s later;
 *   <li>100 concurrent starts with one idempotency key from several clients, plus starts of the
 *       same request under other workflow ids, as the Temporal CLI would;
 *   <li>overlapping revocations racing, one cancelled and one rescheduled, in random interleavings,
 *       with the rule of docs/semantics.md#the-rule-for-a-keys-revoked_at checked over the
 *       revocation tables after every round.
 * </ul>
 *
 * <p>The worker SIGKILL case is {@link WorkerRestartTest}; a stamp whose completion is lost after
 * commit is {@code RevokeApiKeysWorkflowTest.aRetryAfterTheStampCommittedChangesNothing}.
 */
// Long: runs beside the other test classes.
@Execution(ExecutionMode.CONCURRENT)
class FaultToleranceTest {
  private static final Duration SELECTOR_TIMEOUT = RevocationStack.SELECTOR_TIMEOUT;
  private static final String REVOKED_EVENT = "api_key.revoked";

  /** {@code EventOutbox}'s advisory lock that orders the release of events. */
  private static final long OUTBOX_RELEASE_LOCK = 0x61706b6576656e74L;

  // ---- PostgreSQL stopped during the stamp ----------------------------------------------------

  @Execution(ExecutionMode.SAME_THREAD)
  @Test
  @Timeout(120)
  void postgresStoppedDuringTheStampIsRetriedAndCompletesOnce() throws Exception {
    try (RestartablePostgres pg = RestartablePostgres.start();
        // Short, so that while the database is down each attempt fails in 2 s and is retried.
        HikariDataSource pool = pg.pool(Duration.ofSeconds(2));
        LocalTemporalServer server = LocalTemporalServer.start(0)) {
      Migrations.migrate(pool);
      Jdbi jdbi = Database.jdbi(pool);
      // The test's own reads go through unpooled connections, so they work across the restart.
      Jdbi probe = Database.jdbi(pg.dataSource());
      TemporalConfig temporal = temporalConfig(server);
      try (TemporalConnection clientConnection = temporal.connect();
          TemporalConnection workerConnection = temporal.connect();
          RevocationWorker worker =
              new RevocationWorker(
                  workerConnection.client(),
                  new ApiKeysDatabase(jdbi, SELECTOR_TIMEOUT),
                  RevocationWorkerOptions.forTaskQueue(temporal.taskQueue())
                      .withStickyTimeout(Duration.ZERO))) {
        worker.start();
        ApiKeyStore store = new ApiKeyStore(jdbi, SELECTOR_TIMEOUT);
        ApiKeyModuleService service =
            new ApiKeyModuleService(
                clientConnection.client(),
                store,
                new RevocationStore(jdbi, SELECTOR_TIMEOUT),
                temporal.taskQueue());
        List<ApiKeyDTO> keys =
            store.createApiKeys(
                List.of(
                    new CreateApiKeyDTO("pg-1", "secret", "user_1"),
                    new CreateApiKeyDTO("pg-2", "secret", "user_1"),
                    new CreateApiKeyDTO("pg-3", "publishable", "user_1"),
                    new CreateApiKeyDTO("pg-4", "publishable", "user_1")));
        List<String> keyIds = keys.stream().map(ApiKeyDTO::id).sorted().toList();

        RevocationHandle handle =
            service.startRevoke(
                RevokeRequest.ofSelector(
                    idSelector(keyIds),
                    new RevokeApiKeyDTO("ops", 3L),
                    SharedContext.newBuilder().setIdempotencyKey("pg-outage").build()));
        RevokeResult scheduled = handle.scheduled();
        String revocationId = scheduled.revocationId();
        Instant instant = scheduled.scheduledAt();
        assertThat(scheduled.status()).isEqualTo(RevocationState.SCHEDULED);
        assertThat(scheduled.keyCount()).isEqualTo(keyIds.size());

        // Make the stamp stop half-way through its transaction: holding the outbox's release lock
        // (EventOutbox.RELEASE_LOCK, taken by every transaction that releases events) makes the
        // stamp wait on this transaction after it has locked the revocation and checked its keys,
        // just before it records the events, none of it committed. (Event rows no longer have a
        // unique index an uncommitted row could make the stamp wait on.)
        Connection blocker = pg.dataSource().getConnection();
        blocker.setAutoCommit(false);
        try (PreparedStatement lock = blocker.prepareStatement("select pg_advisory_xact_lock(?)")) {
          lock.setLong(1, OUTBOX_RELEASE_LOCK);
          lock.executeQuery().close();
        }
        waitUntil(
            "the stamp to be running and waiting inside its transaction",
            Duration.between(Instant.now(), instant).plusSeconds(30),
            () ->
                probe.withHandle(
                        h ->
                            h.createQuery(
                                    "select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
                                        + " and query like '%pg_advisory_xact_lock%'")
                                .mapTo(Integer.class)
                                .one())
                    > 0);
        assertThat(revocationStatus(probe, revocationId))
            .as("the stamp has not committed")
            .isEqualTo("scheduled");

        Instant stopped = Instant.now();
        pg.stop();
        closeQuietly(blocker);
        System.out.println(
            "PostgreSQL stopped "
                + Duration.between(instant, stopped).toMillis()
                + " ms after the instant, with the stamp transaction in flight");

        sleepUntil(stopped.plusSeconds(10));
        pg.startAgain();
        Instant restarted = Instant.now();

        // Until the stamp commits, every look at the database (one statement, one snapshot) sees
        // either nothing of it or all of it.
        int seenUnstamped = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
          Map<String, Object> now =
              probe.withHandle(
                  h ->
                      h.createQuery(
                              "select r.status,"
                                  + " (select count(*) from apikeys_event e"
                                  + "   where e.revocation_id = r.id) as events,"
                                  + " (select count(*) from api_key k where k.id in (<ids>)"
                                  + "   and k.revoked_at = r.scheduled_at and k.revoked_by = 'ops')"
                                  + "   as keys_at_instant"
                                  + " from apikeys_revocation r where r.id = :rid")
                          .bindList("ids", keyIds)
                          .bind("rid", revocationId)
                          .mapToMap()
                          .one());
          String status = (String) now.get("status");
          long events = ((Number) now.get("events")).longValue();
          assertThat(((Number) now.get("keys_at_instant")).longValue())
              .as("every key carries the scheduled instant throughout")
              .isEqualTo(keyIds.size());
          if (status.equals("scheduled")) {
            assertThat(events).as("no event without the revocation stamped").isZero();
            seenUnstamped++;
          } else {
            assertThat(status).isEqualTo("revoked");
            assertThat(events).as("all the events with the stamp").isEqualTo(keyIds.size());
            break;
          }
          assertThat(System.nanoTime()).as("stamped in time").isLessThan(deadline);
          Thread.sleep(50);
        }

        RevokeResult result = handle.await(Duration.ofSeconds(60));
        Instant awaited = Instant.now();
        assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
        assertThat(result.revocationId()).isEqualTo(revocationId);
        assertThat(result.scheduledAt()).isEqualTo(instant);

        for (String id : keyIds) {
          Map<String, Object> key = keyRow(probe, id);
          assertThat(toInstant(key.get("revoked_at")))
              .as("revoked_at of %s", id)
              .isEqualTo(instant);
          assertThat(key.get("revoked_by")).isEqualTo("ops");
          assertThat(
                  count(
                      probe,
                      "select count(*) from apikeys_event where name = '"
                          + REVOKED_EVENT
                          + "' and api_key_id = '"
                          + id
                          + "'"))
              .as("api_key.revoked events of %s", id)
              .isEqualTo(1);
        }
        assertThat(count(probe, "select count(*) from apikeys_event")).isEqualTo(keyIds.size());
        assertThat(revocationStatus(probe, revocationId)).isEqualTo("revoked");
        Instant completed =
            probe.withHandle(
                h ->
                    h.createQuery("select completed_at from apikeys_revocation where id = :id")
                        .bind("id", revocationId)
                        .mapTo(Instant.class)
                        .one());
        assertThat(completed).as("stamped by an attempt after the restart").isAfter(restarted);

        int attempt = stampAttempt(clientConnection.client(), handle.workflowId());
        assertThat(attempt).as("the stamp was retried").isGreaterThanOrEqualTo(2);
        System.out.println(
            "PostgreSQL restart: stamp committed "
                + Duration.between(restarted, completed).toMillis()
                + " ms after PostgreSQL was up again (workflow result "
                + Duration.between(restarted, awaited).toMillis()
                + " ms), on attempt "
                + attempt
                + "; "
                + Duration.between(instant, completed).toMillis()
                + " ms after the instant; the unstamped state was seen "
                + seenUnstamped
                + " times after the restart");
      }
    }
  }

  // ---- 100 concurrent starts with one idempotency key -----------------------------------------

  @Execution(ExecutionMode.SAME_THREAD)
  @Test
  @Timeout(120)
  void hundredConcurrentStartsWithOneIdempotencyKeyMakeOneRevocation() throws Exception {
    int javaCallers = 100;
    int cliCallers = 5;
    int clients = 4;
    String idempotencyKey = "rk-hundred";
    String derivedId = RevocationNames.workflowIdFor(idempotencyKey);
    try (RevocationStack stack = RevocationStack.start().withWorker()) {
      List<String> keyIds =
          stack
              .store()
              .createApiKeys(
                  List.of(
                      new CreateApiKeyDTO("c-1", "secret", "user_1"),
                      new CreateApiKeyDTO("c-2", "secret", "user_1"),
                      new CreateApiKeyDTO("c-3", "publishable", "user_1")))
              .stream()
              .map(ApiKeyDTO::id)
              .sorted()
              .toList();
      // Long enough that every start lands while the workflow still runs.
      RevokeRequest request =
          RevokeRequest.ofSelector(
              idSelector(keyIds),
              new RevokeApiKeyDTO("ops", 15L),
              SharedContext.newBuilder().setIdempotencyKey(idempotencyKey).build());

      List<TemporalConnection> connections = new ArrayList<>();
      ExecutorService callers = Executors.newFixedThreadPool(javaCallers + cliCallers);
      try {
        List<ApiKeyModuleService> services = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
          TemporalConnection connection = stack.temporal.connect();
          connections.add(connection);
          services.add(
              new ApiKeyModuleService(
                  connection.client(),
                  stack.store(),
                  stack.revocations(),
                  stack.temporal.taskQueue()));
        }
        CountDownLatch go = new CountDownLatch(1);
        List<Future<RevocationHandle>> javaStarts = new ArrayList<>();
        for (int i = 0; i < javaCallers; i++) {
          ApiKeyModuleService service = services.get(i % clients);
          javaStarts.add(
              callers.submit(
                  () -> {
                    go.await();
                    return service.startRevoke(request);
                  }));
        }
        // As the Temporal CLI would: the same request, by type name, under workflow ids of its own.
        List<Future<WorkflowStub>> cliStarts = new ArrayList<>();
        for (int i = 0; i < cliCallers; i++) {
          WorkflowClient client = connections.get(i % clients).client();
          String workflowId = "cli-" + idempotencyKey + "-" + i;
          cliStarts.add(
              callers.submit(
                  () -> {
                    WorkflowStub stub =
                        client.newUntypedWorkflowStub(
                            RevocationNames.WORKFLOW_TYPE,
                            WorkflowOptions.newBuilder()
                                .setTaskQueue(stack.temporal.taskQueue())
                                .setWorkflowId(workflowId)
                                .build());
                    go.await();
                    stub.start(request);
                    return stub;
                  }));
        }
        Instant released = Instant.now();
        go.countDown();

        Set<String> revocationIds = new HashSet<>();
        Instant instant = null;
        for (Future<RevocationHandle> start : javaStarts) {
          RevocationHandle handle = start.get(90, TimeUnit.SECONDS);
          assertThat(handle.workflowId()).isEqualTo(derivedId);
          revocationIds.add(handle.scheduled().revocationId());
          instant = handle.scheduled().scheduledAt();
        }
        List<WorkflowStub> cliStubs = new ArrayList<>();
        for (Future<WorkflowStub> start : cliStarts) {
          cliStubs.add(start.get(90, TimeUnit.SECONDS));
        }
        Instant allReturned = Instant.now();
        System.out.println(
            "100 concurrent starts: all "
                + javaCallers
                + " Java calls returned "
                + Duration.between(released, allReturned).toMillis()
                + " ms after release");
        assertThat(allReturned)
            .as("every start landed while the workflow was still running (the premise)")
            .isBefore(instant);
        assertThat(revocationIds).as("every Java caller got the same revocation").hasSize(1);
        String revocationId = revocationIds.iterator().next();

        RevokeResult owner = stack.service().revocation(derivedId).await(Duration.ofSeconds(60));
        assertThat(owner.revocationId()).isEqualTo(revocationId);
        assertThat(owner.status()).isEqualTo(RevocationState.REVOKED);
        assertThat(owner.scheduledAt()).isEqualTo(instant);
        Set<String> duplicates = new HashSet<>();
        for (WorkflowStub cli : cliStubs) {
          RevokeResult dup = cli.getResult(60, TimeUnit.SECONDS, RevokeResult.class);
          assertThat(dup.revocationId()).as("a CLI-started duplicate").isEqualTo(revocationId);
          assertThat(dup.status()).isEqualTo(RevocationState.REVOKED);
          assertThat(dup.scheduledAt()).isEqualTo(instant);
          if (dup.duplicateOf() != null) {
            duplicates.add(cli.getExecution().getWorkflowId());
          }
        }

        Jdbi jdbi = stack.db.jdbi();
        assertThat(count(jdbi, "select count(*) from apikeys_revocation")).isEqualTo(1);
        String ownerWorkflow =
            jdbi.withHandle(
                h ->
                    h.createQuery("select workflow_id from apikeys_revocation where id = :id")
                        .bind("id", revocationId)
                        .mapTo(String.class)
                        .one());
        // The database decides which workflow owns the key; every other one is a duplicate.
        int expectedDuplicates = ownerWorkflow.equals(derivedId) ? cliCallers : cliCallers - 1;
        assertThat(duplicates).hasSize(expectedDuplicates).doesNotContain(ownerWorkflow);
        assertThat(owner.duplicateOf())
            .isEqualTo(ownerWorkflow.equals(derivedId) ? null : ownerWorkflow);
        assertThat(revocationStatus(jdbi, revocationId)).isEqualTo("revoked");
        for (String id : keyIds) {
          assertThat(
                  count(
                      jdbi,
                      "select count(*) from apikeys_event where name = '"
                          + REVOKED_EVENT
                          + "' and api_key_id = '"
                          + id
                          + "'"))
              .as("events of %s", id)
              .isEqualTo(1);
        }
        assertThat(count(jdbi, "select count(*) from apikeys_event")).isEqualTo(keyIds.size());

        Map<String, Long> runs = runsByWorkflowId(stack);
        assertThat(runs.get(derivedId)).as("runs under %s", derivedId).isEqualTo(1L);
        assertThat(runs.values().stream().mapToLong(Long::longValue).sum())
            .as("runs in all: the derived id's and the CLI's")
            .isEqualTo(1 + cliCallers);
        System.out.println(
            "100 concurrent starts: one revocation "
                + revocationId
                + " owned by "
                + ownerWorkflow
                + ", "
                + runs.size()
                + " workflow ids, one run each");
      } finally {
        callers.shutdownNow();
        for (TemporalConnection connection : connections) {
          connection.close();
        }
      }
    }
  }

  // ---- overlapping revocations racing -----------------------------------------------------------

  private enum Role {
    CANCEL,
    RESCHEDULE,
    LEAVE
  }

  private record Truth(Instant revokedAt, String revokedBy) {}

  @Execution(ExecutionMode.SAME_THREAD)
  @Test
  @Timeout(150)
  void overlappingRevocationsRacingKeepTheInvariant() throws Exception {
    long seed = Long.getLong("apikeys.faultSeed", System.currentTimeMillis());
    int rounds = Integer.getInteger("apikeys.faultRounds", 30);
    System.out.println(
        "overlapping revocations: seed "
            + seed
            + " (-Dapikeys.faultSeed="
            + seed
            + " to repeat the same choices), "
            + rounds
            + " rounds");
    Random master = new Random(seed);
    long[] roundSeeds = new long[rounds];
    for (int i = 0; i < rounds; i++) {
      roundSeeds[i] = master.nextLong();
    }
    Instant begun = Instant.now();
    try (RevocationStack stack = RevocationStack.start().withWorker()) {
      ExecutorService roundPool = Executors.newFixedThreadPool(8);
      ExecutorService tasks = Executors.newCachedThreadPool();
      Map<String, AtomicInteger> tally = new ConcurrentHashMap<>();
      try {
        List<Future<?>> results = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
          int round = i;
          results.add(
              roundPool.submit(
                  () -> {
                    runRound(stack, tasks, round, new Random(roundSeeds[round]), tally);
                    return null;
                  }));
        }
        // Every round runs to its end, so that a failure says how often the invariant broke.
        List<String> broken = new ArrayList<>();
        for (Future<?> result : results) {
          try {
            result.get(140, TimeUnit.SECONDS);
          } catch (ExecutionException e) {
            if (!(e.getCause() instanceof AssertionError failure)) {
              throw e;
            }
            broken.add(failure.getMessage());
          }
        }
        System.out.println(
            "overlapping revocations: "
                + rounds
                + " rounds in "
                + Duration.between(begun, Instant.now()).toMillis()
                + " ms; "
                + new java.util.TreeMap<>(tally)
                + "; "
                + broken.size()
                + " rounds failed ("
                + broken.stream().filter(m -> m.contains("(contended)")).count()
                + " contended)");
        assertThat(broken)
            .as(
                "rounds that broke the contract (seed %d); the first:%n%s",
                seed, broken.isEmpty() ? "" : broken.get(0))
            .isEmpty();
      } finally {
        roundPool.shutdownNow();
        tasks.shutdownNow();
      }
    }
  }

  /** What one revocation of a round is asked to do. */
  private record Actor(
      String revokedBy,
      List<String> keys,
      long revokeIn,
      Role role,
      long delayMillis,
      long newRevokeIn,
      boolean startsUnderContention) {}

  /**
   * Operations closer than this to a revocation's own instant are moved past it. Temporal's Java
   * test server (not a real cluster) wedges a workflow for good when the timer it cancels fires in
   * the middle of the workflow task that cancels it ({@code CancelTimer} then fails with "invalid
   * history builder state for action" and no new workflow task is ever scheduled).
   */
  private static final Duration TIMER_MARGIN_BEFORE = Duration.ofMillis(700);

  private static final Duration TIMER_MARGIN_AFTER = Duration.ofMillis(400);

  /**
   * One round on fresh keys (two never revoked, one with a revocation by "Medusa" pending in the
   * future, one revoked an hour ago): two or three revocations on overlapping subsets, each
   * cancelled, rescheduled or left alone. Half the rounds are free: all start at once with {@code
   * revoke_in} 1–5 s, and each one's operation follows its own start after a random delay. The
   * other half are contended: the revocations to cancel or reschedule start first; then, while the
   * test holds row locks on every key of the round, their operations and the start of the
   * revocation left alone are all sent at once and pile up on the locks, so their transactions run
   * with overlapping snapshots. The invariant is checked once every operation has returned (only
   * stamps can then be in flight, and a stamp changes no key that holds the invariant) and again
   * once every workflow has closed.
   */
  private void runRound(
      RevocationStack stack,
      ExecutorService tasks,
      int round,
      Random rnd,
      Map<String, AtomicInteger> tally)
      throws Exception {
    ApiKeyStore store = stack.store();
    ApiKeyModuleService service = stack.service();
    Jdbi jdbi = stack.db.jdbi();
    String prefix = "r" + round;
    List<ApiKeyDTO> created =
        store.createApiKeys(
            List.of(
                new CreateApiKeyDTO(prefix + "-secret", "secret", "user_1"),
                new CreateApiKeyDTO(prefix + "-fresh", "publishable", "user_1"),
                new CreateApiKeyDTO(prefix + "-pending", "publishable", "user_1"),
                new CreateApiKeyDTO(prefix + "-revoked", "publishable", "user_1")));
    List<String> keys = created.stream().map(ApiKeyDTO::id).toList();
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    Map<String, Truth> base = new HashMap<>();
    base.put(keys.get(0), new Truth(null, null));
    base.put(keys.get(1), new Truth(null, null));
    base.put(keys.get(2), new Truth(now.plusMillis(1500 + rnd.nextInt(4000)), "medusa-later"));
    base.put(keys.get(3), new Truth(now.minus(Duration.ofHours(1)), "medusa-earlier"));
    for (String id : List.of(keys.get(2), keys.get(3))) {
      Truth t = base.get(id);
      jdbi.useHandle(
          h ->
              h.createUpdate("update api_key set revoked_at = :at, revoked_by = :by where id = :id")
                  .bind("at", t.revokedAt())
                  .bind("by", t.revokedBy())
                  .bind("id", id)
                  .execute());
    }

    boolean contended = rnd.nextBoolean();
    int count = 2 + rnd.nextInt(2);
    String hot = keys.get(rnd.nextInt(keys.size()));
    // Contended rounds start their operations at once, so their instants leave room for them.
    List<Long> revokeIns =
        new ArrayList<>(contended ? List.of(3L, 4L, 5L) : List.of(1L, 2L, 3L, 4L, 5L));
    Collections.shuffle(revokeIns, rnd);
    List<Role> roles = new ArrayList<>(List.of(Role.CANCEL, Role.RESCHEDULE, Role.LEAVE));
    Collections.shuffle(roles, rnd);
    List<Actor> actors = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      List<String> subset = new ArrayList<>(List.of(hot));
      for (String key : keys) {
        if (!key.equals(hot) && rnd.nextInt(3) > 0) {
          subset.add(key);
        }
      }
      Role role = roles.get(i);
      actors.add(
          new Actor(
              prefix + "-by" + i,
              subset,
              revokeIns.get(i),
              role,
              rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(2500),
              1 + rnd.nextInt(2),
              contended && role == Role.LEAVE));
    }
    String context =
        "round "
            + round
            + (contended ? " (contended)" : " (free)")
            + actors.stream()
                .map(
                    a ->
                        String.format(
                            " [%s: %d keys in %d s, %s%s%s]",
                            a.revokedBy(),
                            a.keys().size(),
                            a.revokeIn(),
                            a.role(),
                            contended ? "" : " after " + a.delayMillis() + " ms",
                            a.role() == Role.RESCHEDULE ? " to " + a.newRevokeIn() + " s" : ""))
                .collect(Collectors.joining());

    List<String> revocationIds = Collections.synchronizedList(new ArrayList<>());
    List<RevocationHandle> handles = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch go = new CountDownLatch(1);
    long firstPhase = actors.stream().filter(a -> !a.startsUnderContention()).count();
    CountDownLatch firstPhaseStarted = new CountDownLatch((int) firstPhase);
    CountDownLatch contendedGo = new CountDownLatch(1);
    List<Future<String>> running = new ArrayList<>();
    for (Actor actor : actors) {
      running.add(
          tasks.submit(
              () -> {
                if (actor.startsUnderContention()) {
                  contendedGo.await();
                } else {
                  go.await();
                }
                RevocationHandle handle;
                try {
                  handle =
                      service.startRevoke(
                          RevokeRequest.ofSelector(
                              idSelector(actor.keys()),
                              new RevokeApiKeyDTO(actor.revokedBy(), actor.revokeIn()),
                              SharedContext.EMPTY));
                } catch (ApiKeyException e) {
                  // Medusa's rule: a secret key revoked by a sibling whose instant passed first.
                  assertThat(e.getType()).isEqualTo(ApiKeyErrorType.INVALID_DATA);
                  assertThat(e.getMessage()).contains("secret keys that are already revoked");
                  return "start refused";
                } finally {
                  if (!actor.startsUnderContention()) {
                    firstPhaseStarted.countDown();
                  }
                }
                revocationIds.add(handle.scheduled().revocationId());
                handles.add(handle);
                if (contended) {
                  contendedGo.await();
                } else {
                  Thread.sleep(actor.delayMillis());
                }
                Instant instant = handle.scheduled().scheduledAt();
                Instant at = Instant.now();
                if (actor.role() != Role.LEAVE
                    && at.isAfter(instant.minus(TIMER_MARGIN_BEFORE))
                    && at.isBefore(instant.plus(TIMER_MARGIN_AFTER))) {
                  sleepUntil(instant.plus(TIMER_MARGIN_AFTER));
                }
                return operate(handle, actor);
              }));
    }
    go.countDown();
    if (contended) {
      assertThat(firstPhaseStarted.await(90, TimeUnit.SECONDS)).as(context).isTrue();
      try (Connection locks = stack.db.dataSource().getConnection()) {
        locks.setAutoCommit(false);
        try (PreparedStatement lock =
            locks.prepareStatement("select id from api_key where id = any(?) for update")) {
          lock.setArray(1, locks.createArrayOf("text", keys.toArray()));
          lock.executeQuery().close();
        }
        contendedGo.countDown();
        Thread.sleep(150 + rnd.nextInt(350));
        locks.rollback();
      }
    }
    for (Future<String> actor : running) {
      String outcome;
      try {
        outcome = actor.get(90, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof Error error) {
          throw error;
        }
        throw e;
      } catch (java.util.concurrent.TimeoutException e) {
        throw new AssertionError(
            context + ": an operation did not return within 90 s\n" + describe(stack, handles), e);
      }
      tally.computeIfAbsent(outcome, o -> new AtomicInteger()).incrementAndGet();
    }
    tally
        .computeIfAbsent(contended ? "rounds contended" : "rounds free", o -> new AtomicInteger())
        .incrementAndGet();
    // A break here is recorded and the round carried on, to learn whether the stamps mend it.
    AssertionError whileWaiting = null;
    try {
      checkInvariant(jdbi, keys, base, context + " (every operation returned)");
      checkEvents(jdbi, revocationIds, false, context + " (every operation returned)");
    } catch (AssertionError e) {
      whileWaiting = e;
    }

    for (RevocationHandle handle : handles) {
      try {
        handle.await(Duration.ofSeconds(60));
      } catch (WorkflowFailedException e) {
        assertThat(e.getCause()).as(context).isInstanceOf(CanceledFailure.class);
      } catch (java.util.concurrent.TimeoutException e) {
        throw new AssertionError(
            context + ": a workflow did not close within 60 s\n" + describe(stack, handles), e);
      }
    }
    String settled;
    try {
      checkInvariant(jdbi, keys, base, context + " (settled)");
      checkEvents(jdbi, revocationIds, true, context + " (settled)");
      settled = "once every workflow had closed, the invariant held again";
    } catch (AssertionError e) {
      if (whileWaiting == null) {
        throw e;
      }
      settled = "once every workflow had closed, it was still broken: " + e.getMessage();
    }
    if (whileWaiting != null) {
      throw new AssertionError(whileWaiting.getMessage() + "\n" + settled, whileWaiting);
    }
  }

  private static String operate(RevocationHandle handle, Actor actor) throws Exception {
    switch (actor.role()) {
      case CANCEL -> {
        try {
          RevocationStatus status = handle.cancelAndWait(Duration.ofSeconds(60));
          assertThat(status.state()).isEqualTo(RevocationState.CANCELLED);
          return "cancelled before the instant";
        } catch (ApiKeyException stands) {
          assertThat(stands.getType()).isEqualTo(ApiKeyErrorType.NOT_ALLOWED);
          return "cancel after the instant (stands)";
        }
      }
      case RESCHEDULE -> {
        try {
          handle.reschedule(actor.newRevokeIn());
          return "rescheduled";
        } catch (ApiKeyException e) {
          assertThat(e.getType()).isEqualTo(ApiKeyErrorType.NOT_ALLOWED);
          return "reschedule refused (instant passed)";
        }
      }
      default -> {
        return "left";
      }
    }
  }

  /** The round's workflows as the server has them, for a failure message. */
  private static String describe(RevocationStack stack, List<RevocationHandle> handles) {
    StringBuilder out = new StringBuilder();
    for (RevocationHandle handle : List.copyOf(handles)) {
      out.append(handle.workflowId()).append(":");
      try {
        for (HistoryEvent event :
            stack.client.client().fetchHistory(handle.workflowId()).getEvents()) {
          out.append(' ').append(event.getEventType().name().replace("EVENT_TYPE_", ""));
        }
      } catch (RuntimeException e) {
        out.append(" (history unavailable: ").append(e.getMessage()).append(')');
      }
      out.append('\n');
    }
    return out.toString();
  }

  /**
   * The rule for a key's revoked_at (docs/semantics.md), as one query over the revocation tables:
   * every key carries the earliest of its base state (what its oldest revocation found) and the
   * instants of its revocations that were not cancelled, ties going to the base and then to the
   * older revocation; with none, its base. Also checked against what the test itself set the keys
   * to before the round, since a base the revocation tables remembered wrongly would make the first
   * check pass for the wrong reason.
   */
  private static void checkInvariant(
      Jdbi jdbi, List<String> keys, Map<String, Truth> truth, String context) {
    List<Map<String, Object>> rows =
        jdbi.withHandle(
            h ->
                h.createQuery(
                        "with base as (select distinct on (rk.api_key_id) rk.api_key_id,"
                            + "   rk.prior_revoked_at as at, rk.prior_revoked_by as by"
                            + "   from apikeys_revocation_key rk"
                            + "   join apikeys_revocation r on r.id = rk.revocation_id"
                            + "   where rk.api_key_id in (<ids>) order by rk.api_key_id, r.seq),"
                            + " pending as (select distinct on (rk.api_key_id) rk.api_key_id,"
                            + "   r.scheduled_at as at, r.revoked_by as by, r.seq"
                            + "   from apikeys_revocation_key rk"
                            + "   join apikeys_revocation r on r.id = rk.revocation_id"
                            + "   where rk.api_key_id in (<ids>) and r.status <> 'cancelled'"
                            + "   order by rk.api_key_id, r.scheduled_at, r.seq),"
                            + " expected as (select k.id, k.revoked_at, k.revoked_by,"
                            + "   b.at as base_at, b.by as base_by, p.at as pending_at,"
                            + "   p.by as pending_by,"
                            + "   case when b.at is not null and (p.at is null or b.at <= p.at)"
                            + "     then b.at else p.at end as expected_at,"
                            + "   case when b.at is not null and (p.at is null or b.at <= p.at)"
                            + "     then b.by when p.at is not null then p.by else b.by end"
                            + "     as expected_by"
                            + "   , b.api_key_id is not null as has_revocations"
                            + "   from api_key k left join base b on b.api_key_id = k.id"
                            + "   left join pending p on p.api_key_id = k.id where k.id in (<ids>))"
                            + " select *, (revoked_at is not distinct from expected_at"
                            + "   and revoked_by is not distinct from expected_by) as holds"
                            + " from expected order by id")
                    .bindList("ids", keys)
                    .mapToMap()
                    .list());
    List<String> broken = new ArrayList<>();
    for (Map<String, Object> row : rows) {
      String id = (String) row.get("id");
      Instant at = toInstant(row.get("revoked_at"));
      String by = (String) row.get("revoked_by");
      Truth base = truth.get(id);
      Instant pendingAt = toInstant(row.get("pending_at"));
      String pendingBy = (String) row.get("pending_by");
      boolean baseFirst =
          base.revokedAt() != null && (pendingAt == null || !base.revokedAt().isAfter(pendingAt));
      Instant trueAt = baseFirst ? base.revokedAt() : pendingAt;
      String trueBy = baseFirst || pendingAt == null ? base.revokedBy() : pendingBy;
      // A key no revocation covers has no remembered base; only the test's own base applies.
      boolean holds =
          Boolean.TRUE.equals(row.get("holds")) || !Boolean.TRUE.equals(row.get("has_revocations"));
      boolean holdsForTrueBase = Objects.equals(at, trueAt) && Objects.equals(by, trueBy);
      if (!holds || !holdsForTrueBase) {
        broken.add(
            id
                + ": revoked_at "
                + at
                + " by "
                + by
                + "; expected "
                + row.get("expected_at")
                + " by "
                + row.get("expected_by")
                + " (remembered base "
                + row.get("base_at")
                + " by "
                + row.get("base_by")
                + ", earliest pending "
                + pendingAt
                + " by "
                + pendingBy
                + "); with the base the test set ("
                + base.revokedAt()
                + " by "
                + base.revokedBy()
                + "): "
                + trueAt
                + " by "
                + trueBy);
      }
    }
    assertThat(broken)
        .as("the rule for a key's revoked_at, %s%n%s", context, revocationsOf(jdbi, keys))
        .isEmpty();
  }

  /**
   * Exactly one api_key.revoked per key of every stamped revocation, none for the others; one
   * api_key.revocation_cancelled for each cancelled revocation and none for the others.
   */
  private static void checkEvents(
      Jdbi jdbi, List<String> revocationIds, boolean settled, String context) {
    if (revocationIds.isEmpty()) {
      return;
    }
    List<Map<String, Object>> rows =
        jdbi.withHandle(
            h ->
                h.createQuery(
                        "select r.id, r.status, r.key_count,"
                            + " (select count(*) from apikeys_revocation_key rk"
                            + "   where rk.revocation_id = r.id) as keys,"
                            + " (select count(*) from apikeys_event e where e.revocation_id = r.id"
                            + "   and e.name = '"
                            + REVOKED_EVENT
                            + "') as events,"
                            + " (select count(*) from apikeys_event e where e.revocation_id = r.id"
                            + "   and e.name = 'api_key.revocation_cancelled') as cancelled_events,"
                            + " (select count(distinct e.api_key_id) from apikeys_event e"
                            + "   join apikeys_revocation_key rk on rk.revocation_id = e.revocation_id"
                            + "   and rk.api_key_id = e.api_key_id"
                            + "   where e.revocation_id = r.id and e.name = '"
                            + REVOKED_EVENT
                            + "')"
                            + "   as covered"
                            + " from apikeys_revocation r where r.id in (<ids>)")
                    .bindList("ids", List.copyOf(revocationIds))
                    .mapToMap()
                    .list());
    assertThat(rows).as(context).hasSameSizeAs(revocationIds);
    for (Map<String, Object> row : rows) {
      String status = (String) row.get("status");
      long keys = ((Number) row.get("keys")).longValue();
      long events = ((Number) row.get("events")).longValue();
      long covered = ((Number) row.get("covered")).longValue();
      long cancelledEvents = ((Number) row.get("cancelled_events")).longValue();
      String what = context + ", revocation " + row.get("id") + " " + status;
      assertThat(((Number) row.get("key_count")).longValue()).as(what).isEqualTo(keys);
      if (settled) {
        assertThat(status).as(what).isIn("revoked", "cancelled");
      }
      if (status.equals("revoked")) {
        assertThat(events).as("events of " + what).isEqualTo(keys);
        assertThat(covered).as("keys with an event, " + what).isEqualTo(keys);
      } else {
        assertThat(events).as("events of " + what).isZero();
      }
      assertThat(cancelledEvents)
          .as("cancel events of " + what)
          .isEqualTo(status.equals("cancelled") ? 1 : 0);
    }
  }

  private static String revocationsOf(Jdbi jdbi, List<String> keys) {
    return jdbi
        .withHandle(
            h ->
                h.createQuery(
                        "select r.seq, r.id, r.status, r.revoked_by, r.scheduled_at, r.created_at,"
                            + " r.updated_at, rk.api_key_id, rk.prior_revoked_at, rk.prior_revoked_by"
                            + " from apikeys_revocation_key rk"
                            + " join apikeys_revocation r on r.id = rk.revocation_id"
                            + " where rk.api_key_id in (<ids>) order by rk.api_key_id, r.seq")
                    .bindList("ids", keys)
                    .mapToMap()
                    .list())
        .stream()
        .map(Object::toString)
        .collect(Collectors.joining("\n"));
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private static TemporalConfig temporalConfig(LocalTemporalServer server) {
    Map<String, String> env = new HashMap<>();
    env.put(TemporalConfig.ADDRESS, server.address());
    env.put(TemporalConfig.CONFIG_FILE, RevocationStack.EMPTY_TEMPORAL_CONFIG.toString());
    return TemporalConfig.fromEnvironment(env);
  }

  private static ObjectNode idSelector(List<String> ids) {
    ObjectNode selector = JsonNodeFactory.instance.objectNode();
    ArrayNode array = selector.putArray("id");
    ids.forEach(array::add);
    return selector;
  }

  /** Every workflow id the server knows, with how many runs it has. */
  private static Map<String, Long> runsByWorkflowId(RevocationStack stack) {
    var service = stack.client.stubs().blockingStub();
    String namespace = stack.temporal.namespace();
    List<WorkflowExecutionInfo> executions = new ArrayList<>();
    executions.addAll(
        service
            .listOpenWorkflowExecutions(
                ListOpenWorkflowExecutionsRequest.newBuilder().setNamespace(namespace).build())
            .getExecutionsList());
    executions.addAll(
        service
            .listClosedWorkflowExecutions(
                ListClosedWorkflowExecutionsRequest.newBuilder().setNamespace(namespace).build())
            .getExecutionsList());
    Map<String, Set<String>> runs = new LinkedHashMap<>();
    for (WorkflowExecutionInfo info : executions) {
      runs.computeIfAbsent(info.getExecution().getWorkflowId(), id -> new HashSet<>())
          .add(info.getExecution().getRunId());
    }
    Map<String, Long> counts = new LinkedHashMap<>();
    runs.forEach((id, ids) -> counts.put(id, (long) ids.size()));
    return counts;
  }

  /** The attempt that completed the stamp activity, from the workflow's history. */
  private static int stampAttempt(WorkflowClient client, String workflowId) {
    List<HistoryEvent> events = client.fetchHistory(workflowId).getEvents();
    Set<Long> stampScheduled = new HashSet<>();
    Integer last = null;
    for (HistoryEvent event : events) {
      if (event.hasActivityTaskScheduledEventAttributes()
          && event
              .getActivityTaskScheduledEventAttributes()
              .getActivityType()
              .getName()
              .equals(RevocationNames.ACTIVITY_STAMP)) {
        stampScheduled.add(event.getEventId());
      }
      if (event.hasActivityTaskStartedEventAttributes()
          && stampScheduled.contains(
              event.getActivityTaskStartedEventAttributes().getScheduledEventId())) {
        last = event.getActivityTaskStartedEventAttributes().getAttempt();
      }
    }
    assertThat(last).as("a started stamp activity in the history").isNotNull();
    return last;
  }

  private static String revocationStatus(Jdbi jdbi, String revocationId) {
    return jdbi.withHandle(
        h ->
            h.createQuery("select status from apikeys_revocation where id = :id")
                .bind("id", revocationId)
                .mapTo(String.class)
                .one());
  }

  private static Map<String, Object> keyRow(Jdbi jdbi, String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery("select revoked_at, revoked_by from api_key where id = :id")
                .bind("id", id)
                .mapToMap()
                .one());
  }

  private static long count(Jdbi jdbi, String sql) {
    return jdbi.withHandle(h -> h.createQuery(sql).mapTo(Long.class).one());
  }

  private static Instant toInstant(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof Timestamp ts) {
      return ts.toInstant();
    }
    if (value instanceof java.time.OffsetDateTime odt) {
      return odt.toInstant();
    }
    if (value instanceof Instant i) {
      return i;
    }
    throw new IllegalArgumentException("not a timestamp: " + value.getClass());
  }

  private static void waitUntil(String what, Duration timeout, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  private static void sleepUntil(Instant instant) throws InterruptedException {
    RevocationEndToEndTest.sleepUntil(instant);
  }

  private static void closeQuietly(Connection connection) {
    try {
      connection.close();
    } catch (SQLException ignored) {
      // The server that held it is gone.
    }
  }
}
