package dev.apikeys.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apikeys.client.ApiKeyModuleService;
import dev.apikeys.client.RevocationHandle;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyErrorType;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.revocation.Revocation;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevocationStatus;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeResult;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.CanceledFailure;
import java.nio.file.Files;
import java.nio.file.Path;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Random scripts of revocations against the real worker (a process of its own), Temporal's test
 * server on a port and PostgreSQL, checked afterwards against a model of what every answer
 * promised. Each round draws, from its own seed:
 *
 * <ul>
 *   <li>starts by id and by overlapping selectors, from the Java API (Update-with-Start) or by type
 *       name under a workflow id of their own (as the Temporal CLI does), with no idempotency key
 *       or one of two shared ones, equal requests repeated and different ones under one key;
 *   <li>after a random delay (zero included), a cancel, a reschedule or a revoke-now;
 *   <li>in every other batch of rounds, the worker killed with SIGKILL mid-batch and restarted.
 * </ul>
 *
 * <p>Once every workflow has closed, it checks: no workflow open and no revocation left scheduled;
 * one revocation per idempotency key and request, CONFLICT for any other request, and no row for a
 * refused start; every revocation ended as its answers said (cancelled exactly when a cancel
 * answered "cancelled", at the instant its last move or its start answered); every key holds the
 * earliest of its base and the instants of the revocations not cancelled (never reactivated);
 * exactly one {@code api_key.revoked} per key of each stamped revocation and none for a cancelled
 * one.
 *
 * <p>CI runs {@value #CI_ROUNDS} rounds. {@code -Dapikeys.fuzz.rounds=N -Dapikeys.fuzz.seed=S} runs
 * more, or repeats a failing run: the seed is printed first, and every failure names it.
 */
// Long (rounds of random scripts): runs beside the other test classes.
@Execution(ExecutionMode.CONCURRENT)
class RevocationInterleavingTest {
  static final int CI_ROUNDS = 16;

  /**
   * The worker processes log every warning's exception in full (the worker's own format prints one
   * line each), so that a workflow task that fails says why in the round's logs.
   */
  private static final Map<String, String> DIAGNOSTIC_LOGS =
      Map.of("JAVA_TOOL_OPTIONS", "-Dlogback.configurationFile=" + RoundDiagnostics.logbackFile());

  private static final int BATCH = 8;

  private static final String STANDS =
      "cancel requested after the scheduled instant; the revocation stands";

  @Execution(ExecutionMode.SAME_THREAD)
  @Test
  @Timeout(value = 30, unit = TimeUnit.MINUTES)
  void randomScriptsKeepEveryPromise() throws Exception {
    long seed = Long.getLong("apikeys.fuzz.seed", System.nanoTime());
    int rounds = Integer.getInteger("apikeys.fuzz.rounds", CI_ROUNDS);
    System.out.println(
        "interleavings: seed "
            + seed
            + ", "
            + rounds
            + " rounds (-Dapikeys.fuzz.seed="
            + seed
            + " -Dapikeys.fuzz.rounds="
            + rounds
            + " repeats them)");
    Random master = new Random(seed);
    Instant begun = Instant.now();
    List<String> failures = new ArrayList<>();
    Map<String, Integer> tally = new java.util.TreeMap<>();
    Path logs = Files.createTempDirectory("apikeys-interleavings");
    try (RevocationStack stack = RevocationStack.start()) {
      WorkerProcess[] worker = {WorkerProcess.start(stack, logs, "worker-0", DIAGNOSTIC_LOGS)};
      ExecutorService rounds_ = Executors.newCachedThreadPool();
      try {
        int started = 0;
        for (int batch = 0; started < rounds; batch++) {
          int size = Math.min(BATCH, rounds - started);
          boolean kill = batch % 2 == 1;
          long killAfter = 300 + master.nextInt(2500);
          long downFor = 200 + master.nextInt(1500);
          List<Future<Round>> futures = new ArrayList<>();
          for (int i = 0; i < size; i++) {
            Round round = new Round(stack, started + i, master.nextLong(), rounds_);
            futures.add(rounds_.submit(() -> round.play()));
          }
          started += size;
          if (kill) {
            Thread.sleep(killAfter);
            worker[0].kill();
            Thread.sleep(downFor);
            worker[0] = WorkerProcess.start(stack, logs, "worker-" + batch, DIAGNOSTIC_LOGS);
            tally.merge("worker killed", 1, Integer::sum);
          }
          for (Future<Round> future : futures) {
            Round round;
            try {
              round = future.get(10, TimeUnit.MINUTES);
            } catch (ExecutionException e) {
              throw new AssertionError(
                  "seed "
                      + seed
                      + ": a round crashed\n"
                      + RoundDiagnostics.describe(stack.client, logs),
                  e.getCause());
            }
            round.tally.forEach((k, v) -> tally.merge(k, v, Integer::sum));
            if (!round.violations.isEmpty()) {
              failures.add(
                  "round "
                      + round.number
                      + " (round seed "
                      + round.seed
                      + ", "
                      + (kill
                          ? "worker killed after " + killAfter + " ms, down " + downFor + " ms"
                          : "no kill")
                      + ")\n  script: "
                      + round.script
                      + "\n  "
                      + String.join("\n  ", round.violations));
            }
          }
        }
        // Every history the rounds wrote replays through the workflow code as it is: a history
        // that does not is a workflow some worker will fail to resume after a restart or a cache
        // eviction, whatever the rounds' answers said.
        List<String> unreplayable = RoundDiagnostics.replayClosed(stack.client, logs);
        tally.put("histories replayed", RoundDiagnostics.lastReplayCount());
        unreplayable.forEach(f -> failures.add("a history does not replay: " + f));
      } finally {
        rounds_.shutdownNow();
        worker[0].close();
      }
    }
    System.out.println(
        "interleavings: "
            + rounds
            + " rounds in "
            + Duration.between(begun, Instant.now()).toSeconds()
            + " s; "
            + tally
            + "; "
            + failures.size()
            + " rounds broke a promise");
    assertThat(failures)
        .as(
            "rounds that broke a promise (-Dapikeys.fuzz.seed=%d -Dapikeys.fuzz.rounds=%d); the first:%n%s",
            seed, rounds, failures.isEmpty() ? "" : failures.get(0))
        .isEmpty();
  }

  enum Via {
    JAVA,
    TYPE_NAME
  }

  enum Follow {
    NONE,
    CANCEL,
    RESCHEDULE,
    REVOKE_NOW
  }

  /** One start of a round and what follows it, as drawn. */
  record Op(
      int index,
      Via via,
      List<String> keys,
      boolean byId,
      String revokedBy,
      long revokeIn,
      String idempotencyKey,
      long startDelay,
      Follow follow,
      long followDelay,
      long newRevokeIn) {

    /** What makes two requests the same request: as the fingerprint sees it. */
    String request() {
      return (byId ? "id:" : "selector:") + keys + " by " + revokedBy + " in " + revokeIn;
    }

    RevokeRequest toRequest() {
      ObjectNode json = JsonNodeFactory.instance.objectNode();
      if (byId) {
        json.put("id", keys.get(0));
      } else {
        ArrayNode ids = json.putObject("selector").putArray("id");
        keys.forEach(ids::add);
      }
      json.putObject("data").put("revoked_by", revokedBy).put("revoke_in", revokeIn);
      if (idempotencyKey != null) {
        json.putObject("context").put("idempotencyKey", idempotencyKey);
      }
      return new RevokeRequest(json);
    }

    @Override
    public String toString() {
      return "#"
          + index
          + " "
          + via
          + " "
          + request()
          + (idempotencyKey == null ? "" : " key " + idempotencyKey)
          + " after "
          + startDelay
          + " ms"
          + (follow == Follow.NONE
              ? ""
              : ", then "
                  + follow
                  + " after "
                  + followDelay
                  + " ms"
                  + (follow == Follow.RESCHEDULE ? " to " + newRevokeIn + " s" : ""));
    }
  }

  /** What a start was answered. */
  static final class Answers {
    Revocation scheduled;
    ApiKeyException refused;
    String workflowId;
    // The follow-up's answer.
    RevocationStatus moved;
    RevocationStatus cancelled;
    ApiKeyException followRefused;
    // A start by type name: how its workflow closed.
    RevokeResult result;
    RevocationStatus finalStatus;

    /** How its workflow's result failed, when it did. */
    Throwable closed;

    Throwable fault;

    /** What this op was answered, for a violation's message. */
    String describe() {
      return " (scheduled "
          + scheduled
          + ", result "
          + result
          + ", final status "
          + finalStatus
          + ", follow-up refused "
          + followRefused
          + ", closed "
          + (closed == null ? null : closed + " caused by " + closed.getCause())
          + ")";
    }

    boolean cancelledBeforeScheduling() {
      return finalStatus != null
          && finalStatus.state() == RevocationState.CANCELLED
          && finalStatus.revocationId() == null;
    }
  }

  private static final class Round {
    final RevocationStack stack;
    final int number;
    final long seed;
    final ExecutorService pool;
    final Random rnd;
    final List<String> violations = new ArrayList<>();
    final Map<String, Integer> tally = new HashMap<>();
    final List<Op> ops = new ArrayList<>();
    final Map<String, KeyState> base = new LinkedHashMap<>();
    String script;

    Round(RevocationStack stack, int number, long seed, ExecutorService pool) {
      this.stack = stack;
      this.number = number;
      this.seed = seed;
      this.pool = pool;
      this.rnd = new Random(seed);
    }

    record KeyState(Instant at, String by) {}

    Round play() throws Exception {
      Jdbi jdbi = stack.db.jdbi();
      List<ApiKeyDTO> created =
          stack
              .store()
              .createApiKeys(
                  List.of(
                      new CreateApiKeyDTO("r" + number + "-s0", "secret", "fuzz"),
                      new CreateApiKeyDTO("r" + number + "-s1", "secret", "fuzz"),
                      new CreateApiKeyDTO("r" + number + "-p2", "publishable", "fuzz"),
                      new CreateApiKeyDTO("r" + number + "-p3", "publishable", "fuzz"),
                      new CreateApiKeyDTO("r" + number + "-p4", "publishable", "fuzz")));
      List<String> keys = created.stream().map(ApiKeyDTO::id).toList();
      Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
      for (String id : keys) {
        base.put(id, new KeyState(null, null));
      }
      // Medusa's own revocations: one pending a few seconds out, one an hour ago.
      base.put(keys.get(3), new KeyState(now.plusMillis(2000 + rnd.nextInt(5000)), "medusa-later"));
      base.put(keys.get(4), new KeyState(now.minus(Duration.ofHours(1)), "medusa-earlier"));
      for (String id : List.of(keys.get(3), keys.get(4))) {
        KeyState b = base.get(id);
        jdbi.useHandle(
            h ->
                h.createUpdate(
                        "update api_key set revoked_at = :at, revoked_by = :by where id = :id")
                    .bind("at", b.at())
                    .bind("by", b.by())
                    .bind("id", id)
                    .execute());
      }

      String keyA = "fz" + number + "-" + Long.toHexString(seed) + "-A";
      String keyB = "fz" + number + "-" + Long.toHexString(seed) + "-B";
      int count = 3 + rnd.nextInt(4);
      for (int i = 0; i < count; i++) {
        if (i > 0 && rnd.nextInt(10) < 3) {
          // The same request again, exactly.
          Op earlier = ops.get(rnd.nextInt(ops.size()));
          ops.add(
              new Op(
                  i,
                  rnd.nextInt(4) == 0 ? Via.TYPE_NAME : Via.JAVA,
                  earlier.keys(),
                  earlier.byId(),
                  earlier.revokedBy(),
                  earlier.revokeIn(),
                  earlier.idempotencyKey(),
                  rnd.nextInt(1000),
                  follow(),
                  followDelay(),
                  1 + rnd.nextInt(5)));
          continue;
        }
        List<String> subset = new ArrayList<>(keys);
        Collections.shuffle(subset, rnd);
        subset = new ArrayList<>(subset.subList(0, 1 + rnd.nextInt(keys.size())));
        Collections.sort(subset);
        int k = rnd.nextInt(10);
        String idempotencyKey = k < 4 ? null : k < 7 ? keyA : keyB;
        ops.add(
            new Op(
                i,
                rnd.nextInt(4) == 0 ? Via.TYPE_NAME : Via.JAVA,
                subset,
                subset.size() == 1 && rnd.nextBoolean(),
                "r" + number + "-by" + i,
                2 + rnd.nextInt(5),
                idempotencyKey,
                rnd.nextInt(1000),
                follow(),
                followDelay(),
                1 + rnd.nextInt(5)));
      }
      script = ops.stream().map(Op::toString).collect(Collectors.joining("; "));

      Map<Op, Future<Answers>> running = new LinkedHashMap<>();
      for (Op op : ops) {
        running.put(op, pool.submit(() -> perform(op)));
      }
      Map<Op, Answers> answers = new LinkedHashMap<>();
      for (Map.Entry<Op, Future<Answers>> e : running.entrySet()) {
        try {
          answers.put(e.getKey(), e.getValue().get(5, TimeUnit.MINUTES));
        } catch (java.util.concurrent.TimeoutException notAnswered) {
          throw new IllegalStateException(
              "round "
                  + number
                  + " (round seed "
                  + seed
                  + "): "
                  + e.getKey()
                  + " had no answer after 5 minutes; script: "
                  + script,
              notAnswered);
        }
      }
      settle(answers);
      check(answers, keys);
      return this;
    }

    private Follow follow() {
      int f = rnd.nextInt(20);
      return f < 8
          ? Follow.NONE
          : f < 13 ? Follow.CANCEL : f < 17 ? Follow.RESCHEDULE : Follow.REVOKE_NOW;
    }

    private long followDelay() {
      return rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(3000);
    }

    private Answers perform(Op op) {
      Answers a = new Answers();
      try {
        Thread.sleep(op.startDelay());
        ApiKeyModuleService service = stack.service();
        if (op.via() == Via.TYPE_NAME) {
          a.workflowId = "fz-type-name-" + number + "-" + op.index() + "-" + Long.toHexString(seed);
          WorkflowStub stub =
              client()
                  .newUntypedWorkflowStub(
                      RevocationNames.WORKFLOW_TYPE,
                      WorkflowOptions.newBuilder()
                          .setTaskQueue(stack.temporal.taskQueue())
                          .setWorkflowId(a.workflowId)
                          .build());
          stub.start(op.toRequest().json());
          if (op.follow() == Follow.CANCEL) {
            Thread.sleep(op.followDelay());
            stub.cancel();
          }
          return a;
        }
        RevocationHandle handle;
        try {
          handle = service.startRevoke(op.toRequest());
        } catch (ApiKeyException refused) {
          a.refused = refused;
          return a;
        }
        a.scheduled = handle.revocation();
        a.workflowId = handle.workflowId();
        if (op.follow() == Follow.NONE) {
          return a;
        }
        Thread.sleep(op.followDelay());
        try {
          switch (op.follow()) {
            case CANCEL -> a.cancelled = handle.cancelAndWait(Duration.ofMinutes(3));
            case RESCHEDULE -> a.moved = handle.reschedule(op.newRevokeIn());
            case REVOKE_NOW -> a.moved = handle.revokeNow();
            default -> {}
          }
        } catch (ApiKeyException refused) {
          a.followRefused = refused;
        }
      } catch (Throwable t) {
        a.fault = t;
      }
      return a;
    }

    private WorkflowClient client() {
      return stack.client.client();
    }

    /** Waits until every workflow of the round has closed, and reads how each closed. */
    private void settle(Map<Op, Answers> answers) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
      for (Map.Entry<Op, Answers> e : answers.entrySet()) {
        Answers a = e.getValue();
        if (a.workflowId == null) {
          continue;
        }
        WorkflowStub stub = client().newUntypedWorkflowStub(a.workflowId);
        while (stub.describe().getStatus()
            == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
          if (System.nanoTime() > deadline) {
            violations.add(
                "workflow "
                    + a.workflowId
                    + " of "
                    + e.getKey()
                    + " still open four minutes after the round");
            break;
          }
          Thread.sleep(100);
        }
        if (e.getKey().via() == Via.TYPE_NAME) {
          try {
            // The workflow has closed: the result is there; the bound only stops a hang.
            a.result = stub.getResult(1, TimeUnit.MINUTES, RevokeResult.class);
          } catch (WorkflowFailedException failed) {
            a.closed = failed;
            ApiKeyException.from(failed).ifPresent(r -> a.refused = r);
          } catch (Exception other) {
            a.fault = other;
          }
          try {
            a.finalStatus = stub.query(RevocationNames.QUERY_STATUS, RevocationStatus.class);
          } catch (RuntimeException queryFailed) {
            a.fault = queryFailed;
          }
          // Temporal closes a workflow that was asked to cancel as cancelled, whatever its method
          // ended with: a request refused while its cancel was pending says so in its status.
          if (a.refused == null
              && a.closed != null
              && a.closed.getCause() instanceof CanceledFailure
              && a.finalStatus != null
              && a.finalStatus.state() == RevocationState.REFUSED) {
            a.refused =
                new ApiKeyException(
                    ApiKeyErrorType.valueOf(a.finalStatus.refusalType()), a.finalStatus.message());
            count("refused, then closed as cancelled");
          }
        }
      }
    }

    /** The model: what the answers promised, against the database. */
    private void check(Map<Op, Answers> answers, List<String> keys) {
      Jdbi jdbi = stack.db.jdbi();
      // Every answer is one of the documented ones.
      for (Map.Entry<Op, Answers> e : answers.entrySet()) {
        Op op = e.getKey();
        Answers a = e.getValue();
        if (a.fault != null) {
          violations.add(op + ": unexpected " + a.fault);
        }
        if (a.refused != null) {
          count("start refused " + a.refused.getType());
          boolean alreadyRevoked =
              a.refused.getType() == ApiKeyErrorType.INVALID_DATA
                  && a.refused.getMessage().endsWith("secret keys that are already revoked.");
          boolean conflict = a.refused.getType() == ApiKeyErrorType.CONFLICT;
          if (!alreadyRevoked && !conflict) {
            violations.add(op + ": refused with " + a.refused);
          }
        }
        if (a.followRefused != null) {
          count(op.follow() + " refused");
          if (a.followRefused.getType() != ApiKeyErrorType.NOT_ALLOWED) {
            violations.add(op + ": " + op.follow() + " refused with " + a.followRefused);
          }
        }
      }

      // Which revocation each accepted start got.
      Map<Op, String> revocationOf = new LinkedHashMap<>();
      for (Map.Entry<Op, Answers> e : answers.entrySet()) {
        Answers a = e.getValue();
        String id = null;
        if (a.scheduled != null) {
          id = a.scheduled.revocationId();
        } else if (a.result != null) {
          id = a.result.revocationId();
        } else if (a.finalStatus != null && a.refused == null) {
          id = a.finalStatus.revocationId();
        }
        if (id != null) {
          revocationOf.put(e.getKey(), id);
        }
      }
      Map<String, DbRevocation> db = revocations(jdbi, keys);
      Set<String> answered = new HashSet<>(revocationOf.values());
      if (!db.keySet().equals(answered)) {
        violations.add(
            "revocations in the database "
                + db.keySet()
                + " are not the ones answered "
                + answered
                + " (a refused start left a row, or an"
                + " accepted one none)");
      }

      // One idempotency key, one request, one revocation.
      Map<String, List<Op>> byKey = new HashMap<>();
      for (Op op : ops) {
        if (op.idempotencyKey() != null) {
          byKey.computeIfAbsent(op.idempotencyKey(), k -> new ArrayList<>()).add(op);
        }
      }
      for (Map.Entry<String, List<Op>> e : byKey.entrySet()) {
        Set<String> ids = new HashSet<>();
        Set<String> requests = new HashSet<>();
        for (Op op : e.getValue()) {
          if (revocationOf.containsKey(op)) {
            ids.add(revocationOf.get(op));
            requests.add(op.request());
          }
        }
        if (ids.size() > 1 || requests.size() > 1) {
          violations.add(
              "idempotency key "
                  + e.getKey()
                  + " gave revocations "
                  + ids
                  + " for requests "
                  + requests);
        }
        for (Op op : e.getValue()) {
          Answers a = answers.get(op);
          if (a.cancelledBeforeScheduling()) {
            // Cancelled before it reached the database: it asked for nothing, and got nothing.
            count("cancelled before scheduling");
            continue;
          }
          if (!requests.isEmpty() && !requests.contains(op.request()) && a.refused == null) {
            violations.add(
                op
                    + ": another request under a used idempotency key was not refused"
                    + a.describe());
          }
          if (a.refused != null
              && a.refused.getType() == ApiKeyErrorType.CONFLICT
              && requests.contains(op.request())) {
            violations.add(op + ": the same request under its idempotency key was refused");
          }
        }
      }
      Map<String, Op> noKey = new HashMap<>();
      for (Map.Entry<Op, String> e : revocationOf.entrySet()) {
        if (e.getKey().idempotencyKey() == null) {
          Op other = noKey.put(e.getValue(), e.getKey());
          if (other != null) {
            violations.add(other + " and " + e.getKey() + " share revocation " + e.getValue());
          }
        }
      }

      // Each revocation ended as its answers said.
      Map<String, Instant> finalInstant = new HashMap<>();
      Set<String> cancelled = new HashSet<>();
      for (Map.Entry<String, DbRevocation> e : db.entrySet()) {
        String id = e.getKey();
        DbRevocation r = e.getValue();
        if (r.status().equals("scheduled")) {
          violations.add("revocation " + id + " still scheduled after its workflows closed");
        }
        boolean cancelAnswered = false;
        boolean standsAnswered = false;
        Instant start = null;
        List<Instant> moves = new ArrayList<>();
        for (Map.Entry<Op, String> o : revocationOf.entrySet()) {
          if (!o.getValue().equals(id)) {
            continue;
          }
          Answers a = answers.get(o.getKey());
          if (a.scheduled != null
              && a.scheduled.owned()
              && start == null
              && a.scheduled.status() == RevocationState.SCHEDULED) {
            start = a.scheduled.scheduledAt();
          }
          if (a.cancelled != null) {
            cancelAnswered |= a.cancelled.state() == RevocationState.CANCELLED;
          }
          if (a.followRefused != null
              && o.getKey().follow() == Follow.CANCEL
              && STANDS.equals(a.followRefused.getMessage())) {
            standsAnswered = true;
          }
          if (a.moved != null) {
            moves.add(a.moved.scheduledAt());
          }
          if (a.finalStatus != null
              && a.finalStatus.duplicateOf() == null
              && o.getKey().follow() == Follow.CANCEL) {
            cancelAnswered |= a.finalStatus.state() == RevocationState.CANCELLED;
            standsAnswered |= STANDS.equals(a.finalStatus.message());
          }
        }
        if (cancelAnswered) {
          cancelled.add(id);
          count("cancelled");
        } else {
          count("revoked");
        }
        if (cancelAnswered && standsAnswered) {
          violations.add("revocation " + id + " was answered both cancelled and standing");
        }
        String expected = cancelAnswered ? "cancelled" : "revoked";
        if (!r.status().equals(expected)) {
          violations.add(
              "revocation " + id + " is " + r.status() + " but its answers said " + expected);
        }
        if (moves.isEmpty()) {
          if (start != null && !start.equals(r.scheduledAt())) {
            violations.add(
                "revocation "
                    + id
                    + " was answered scheduled at "
                    + start
                    + " and stands at "
                    + r.scheduledAt()
                    + " without a move");
          }
        } else if (!moves.contains(r.scheduledAt())) {
          violations.add(
              "revocation "
                  + id
                  + " stands at "
                  + r.scheduledAt()
                  + ", which no move answered "
                  + moves);
        }
        if (!moves.isEmpty()) {
          count("moved");
        }
        finalInstant.put(id, r.scheduledAt());
        if (!r.keys().equals(new HashSet<>(opOf(revocationOf, id).keys()))) {
          violations.add(
              "revocation "
                  + id
                  + " covers "
                  + r.keys()
                  + " but was asked for "
                  + opOf(revocationOf, id).keys());
        }
        long expectedEvents = cancelAnswered ? 0 : r.keys().size();
        if (r.revokedEvents() != expectedEvents) {
          violations.add(
              "revocation "
                  + id
                  + " ("
                  + r.status()
                  + ") has "
                  + r.revokedEvents()
                  + " api_key.revoked events, expected "
                  + expectedEvents);
        }
        if (r.cancelledEvents() != (cancelAnswered ? 1 : 0)) {
          violations.add(
              "revocation "
                  + id
                  + " has "
                  + r.cancelledEvents()
                  + " api_key.revocation_cancelled events");
        }
      }

      // Every key: the earliest of its base and the instants of its revocations not cancelled.
      Map<String, KeyState> rows = keyRows(jdbi, keys);
      for (String key : keys) {
        KeyState expected = base.get(key);
        long expectedSeq = 0;
        for (Map.Entry<String, DbRevocation> e : db.entrySet()) {
          DbRevocation r = e.getValue();
          if (cancelled.contains(e.getKey()) || !r.keys().contains(key)) {
            continue;
          }
          Instant at = finalInstant.get(e.getKey());
          if (expected.at() == null
              || at.isBefore(expected.at())
              || (at.equals(expected.at()) && expectedSeq != 0 && r.seq() < expectedSeq)) {
            expected = new KeyState(at, r.revokedBy());
            expectedSeq = r.seq();
          }
        }
        if (!Objects.equals(rows.get(key), expected)) {
          violations.add(
              "key "
                  + key
                  + " holds "
                  + rows.get(key)
                  + ", expected "
                  + expected
                  + " (base "
                  + base.get(key)
                  + ")");
        }
      }
    }

    private Op opOf(Map<Op, String> revocationOf, String revocationId) {
      for (Map.Entry<Op, String> e : revocationOf.entrySet()) {
        if (e.getValue().equals(revocationId)) {
          return e.getKey();
        }
      }
      throw new IllegalStateException("no start for " + revocationId);
    }

    private void count(String what) {
      tally.merge(what, 1, Integer::sum);
    }
  }

  record DbRevocation(
      long seq,
      String status,
      Instant scheduledAt,
      String revokedBy,
      Set<String> keys,
      long revokedEvents,
      long cancelledEvents) {}

  /** The revocations that touched any of the round's keys. */
  private static Map<String, DbRevocation> revocations(Jdbi jdbi, List<String> keys) {
    Map<String, DbRevocation> out = new LinkedHashMap<>();
    jdbi.useHandle(
        h ->
            h.createQuery(
                    "select r.id, r.seq, r.status, r.scheduled_at, r.revoked_by,"
                        + " array(select rk.api_key_id from apikeys_revocation_key rk"
                        + "   where rk.revocation_id = r.id) as keys,"
                        + " (select count(*) from apikeys_event e where e.revocation_id = r.id"
                        + "   and e.name = 'api_key.revoked') as revoked_events,"
                        + " (select count(*) from apikeys_event e where e.revocation_id = r.id"
                        + "   and e.name = 'api_key.revocation_cancelled') as cancelled_events"
                        + " from apikeys_revocation r where exists (select 1 from apikeys_revocation_key"
                        + "   rk where rk.revocation_id = r.id and rk.api_key_id in (<keys>))"
                        + " order by r.seq")
                .bindList("keys", keys)
                .map(
                    (rs, ctx) -> {
                      String[] ids = (String[]) rs.getArray("keys").getArray();
                      out.put(
                          rs.getString("id"),
                          new DbRevocation(
                              rs.getLong("seq"),
                              rs.getString("status"),
                              rs.getTimestamp("scheduled_at")
                                  .toInstant()
                                  .truncatedTo(ChronoUnit.MILLIS),
                              rs.getString("revoked_by"),
                              new HashSet<>(List.of(ids)),
                              rs.getLong("revoked_events"),
                              rs.getLong("cancelled_events")));
                      return null;
                    })
                .list());
    return out;
  }

  private static Map<String, Round.KeyState> keyRows(Jdbi jdbi, List<String> keys) {
    Map<String, Round.KeyState> out = new HashMap<>();
    jdbi.useHandle(
        h ->
            h.createQuery("select id, revoked_at, revoked_by from api_key where id in (<keys>)")
                .bindList("keys", keys)
                .map(
                    (rs, ctx) -> {
                      out.put(
                          rs.getString("id"),
                          new Round.KeyState(
                              rs.getTimestamp("revoked_at") == null
                                  ? null
                                  : rs.getTimestamp("revoked_at")
                                      .toInstant()
                                      .truncatedTo(ChronoUnit.MILLIS),
                              rs.getString("revoked_by")));
                      return null;
                    })
                .list());
    return out;
  }
}
