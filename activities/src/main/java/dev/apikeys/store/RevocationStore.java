package dev.apikeys.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.ApiKeysJson;
import dev.apikeys.metrics.ApiKeyMetrics;
import dev.apikeys.revocation.Revocation;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.ScheduleRevocation;
import dev.apikeys.revocation.SharedContext;
import dev.apikeys.revocation.ValidRevokeRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.locator.ClasspathSqlLocator;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

/**
 * The revocation tables and what they do to {@code api_key}. Every method is one transaction;
 * every method is safe to run twice.
 *
 * <p>How a key's {@code revoked_at} is decided is written once, with its reasons, in {@code
 * RevocationStore/recompute.sql}: the earliest of the key's base (what it held when this project
 * last found it changed by someone else) and the instants of its revocations that were not
 * cancelled. Every change here locks the keys it touches in id order first, then recomputes them.
 *
 * <p>Whether an instant has passed is decided here, in the transaction that acts on it, by the
 * later of the database's clock and the workflow time the caller passes; see {@code
 * RevocationActivities}.
 */
public final class RevocationStore {
  static final String EVENT_REVOKED = "api_key.revoked";
  static final String EVENT_CANCELLED = "api_key.revocation_cancelled";
  static final String EVENT_RESCHEDULED = "api_key.revocation_rescheduled";
  static final String REVOCATION_ID_PREFIX = "rvk_";

  private static final ClasspathSqlLocator SQL = ClasspathSqlLocator.removingComments();
  private static final String RECOMPUTE = SQL.locate(RevocationStore.class, "recompute");
  private static final String LOCK_KEYS = SQL.locate(RevocationStore.class, "lock_keys");
  private static final String RESULT_KEYS = SQL.locate(RevocationStore.class, "result_keys");

  /** The keys a schedule matched, once they are locked; deleted meanwhile, they drop out. */
  private static final String MATCHED =
      "select m.id from apikeys_matched m join api_key mk on mk.id = m.id"
          + " where mk.deleted_at is null";

  /**
   * How long a statement here waits for a row or advisory lock before it gives up; the failure
   * is a fault, and the activity is retried. Shorter than the selector timeout, so waiting behind
   * another revocation of the same keys (a bulk one holds its keys for seconds) is never mistaken
   * for a selector that runs too long.
   */
  static final Duration LOCK_TIMEOUT = Duration.ofSeconds(5);

  /** The keys of one revocation, as the {@code <targets>} of the statements above. */
  private static final String KEYS_OF_REVOCATION =
      "select rk.api_key_id from apikeys_revocation_key rk where rk.revocation_id = :rid";

  /** The keys of one revocation that someone else moved later than its instant, or cleared. */
  private static final String KEYS_LATER_THAN_INSTANT =
      "select rk.api_key_id from apikeys_revocation_key rk"
          + " join api_key lk on lk.id = rk.api_key_id where rk.revocation_id = :rid"
          + " and (lk.revoked_at is null or lk.revoked_at > :at)";

  private static final String REVOCATION_COLUMNS =
      "id, seq, idempotency_key, request_fingerprint, workflow_id, revoked_by, scheduled_at,"
          + " status, key_count, hold_events";

  /** Keys are read for a result this many at a time, until the byte budget is spent. */
  private static final int RESULT_PAGE = 200;

  private static final ObjectWriter JSON = ApiKeysJson.newObjectMapper().writer();

  private final Jdbi jdbi;
  private final SelectorCompiler selectors;
  private final SelectorQueries selectorQueries;
  private final EventOutbox outbox;
  private final ApiKeyMetrics metrics;

  /** A store of its own; a process builds its stores once, in {@link ApiKeysDatabase}. */
  public RevocationStore(Jdbi jdbi, Duration selectorTimeout) {
    this(jdbi, selectorTimeout, ApiKeyMetrics.NONE);
  }

  /** @param metrics told of each schedule, stamp and cancel once it has committed */
  public RevocationStore(Jdbi jdbi, Duration selectorTimeout, ApiKeyMetrics metrics) {
    this(
        jdbi, SelectorCompiler.refusingSecretTokens(), new SelectorQueries(selectorTimeout),
        new EventOutbox(), metrics);
  }

  /** With the collaborators {@link ApiKeysDatabase} shares among the stores. */
  RevocationStore(
      Jdbi jdbi,
      SelectorCompiler selectors,
      SelectorQueries selectorQueries,
      EventOutbox outbox,
      ApiKeyMetrics metrics) {
    this.jdbi = jdbi;
    this.selectors = selectors;
    this.selectorQueries = selectorQueries;
    this.outbox = outbox;
    this.metrics = metrics;
  }

  record RevocationRow(
      String id,
      long seq,
      String idempotencyKey,
      String requestFingerprint,
      String workflowId,
      String revokedBy,
      Instant scheduledAt,
      String status,
      long keyCount,
      boolean holdEvents) {

    RevocationState state() {
      return RevocationState.fromValue(status);
    }

    Revocation facts(String duplicateOf) {
      return new Revocation(
          id, workflowId, state(), revokedBy, scheduledAt, keyCount, duplicateOf);
    }
  }

  /** What locking a set of keys found: how many, and how many secret keys already revoked. */
  record Recomputed(long matched, long revokedSecret) {}

  /** See {@code RevocationActivities#schedule}: in a transaction of its own. */
  public Revocation schedule(ScheduleRevocation command) {
    Scheduling scheduling = prepare(command);
    return selectorQueries.inTransaction(
        jdbi,
        scheduling.isolation(),
        h -> {
          boundLockWaits(h);
          return scheduleOn(h, command, scheduling);
        });
  }

  /**
   * Schedules inside a transaction the caller holds (the shared context's transactionManager):
   * the same steps as {@link #schedule}, neither committing nor rolling back. Refusals are found
   * before anything is written, so a refused request leaves the caller's transaction as it was;
   * with {@code nested}, the steps run in a savepoint that a failure of any kind rolls back. The
   * statement and lock timeouts it sets are put back afterwards.
   */
  public Revocation scheduleIn(Handle caller, ScheduleRevocation command, boolean nested) {
    if (!caller.isInTransaction()) {
      throw ApiKeyException.invalidData(
          "context.transactionManager: the handle is not in a transaction; begin one first");
    }
    Scheduling scheduling = prepare(command);
    if (nested) {
      caller.savepoint(SAVEPOINT);
    }
    try {
      Revocation scheduled =
          selectorQueries.inCallerTransaction(
              caller,
              h -> {
                String lockTimeout =
                    h.createQuery("select current_setting('lock_timeout')")
                        .mapTo(String.class)
                        .one();
                try {
                  boundLockWaits(h);
                  return scheduleOn(h, command, scheduling);
                } finally {
                  SelectorQueries.restoreSetting(h, "lock_timeout", lockTimeout);
                }
              });
      if (nested) {
        caller.releaseSavepoint(SAVEPOINT);
      }
      return scheduled;
    } catch (RuntimeException e) {
      if (nested) {
        // JDBI forgets the savepoint once rolled back to; PostgreSQL drops it at the caller's
        // commit or rollback.
        caller.rollbackToSavepoint(SAVEPOINT);
      }
      throw e;
    }
  }

  private static final String SAVEPOINT = "apikeys_revoke";

  /** What scheduling needs that is worked out before any transaction: the SQL and the level. */
  private record Scheduling(
      SqlCondition condition, String fingerprint, TransactionIsolationLevel isolation,
      String isolationName) {}

  private Scheduling prepare(ScheduleRevocation command) {
    ValidRevokeRequest request = command.request();
    SqlCondition condition =
        request.singleKey()
            ? new SqlCondition("id = :s1", Map.of("s1", request.id()), 1)
            : selectors.compileNonEmpty(request.selector());
    String name = request.context().isolationLevel();
    return new Scheduling(
        condition, command.fingerprintOrCompute(), isolationLevel(name), name);
  }

  /**
   * The shared context's {@code isolationLevel}, as JDBI names it; absent: the database's
   * default. Anything else is INVALID_DATA naming the field.
   */
  public static TransactionIsolationLevel isolationLevel(String name) {
    if (name == null) {
      return TransactionIsolationLevel.UNKNOWN;
    }
    return switch (name) {
      case "READ UNCOMMITTED" -> TransactionIsolationLevel.READ_UNCOMMITTED;
      case "READ COMMITTED" -> TransactionIsolationLevel.READ_COMMITTED;
      case "REPEATABLE READ" -> TransactionIsolationLevel.REPEATABLE_READ;
      case "SERIALIZABLE" -> TransactionIsolationLevel.SERIALIZABLE;
      default ->
          throw ApiKeyException.invalidData(
              "context.isolationLevel: expected READ UNCOMMITTED, READ COMMITTED, REPEATABLE READ"
                  + " or SERIALIZABLE, got \"" + name + "\"");
    };
  }

  /** The schedule step's statements, on a handle in a transaction (its own, or the caller's). */
  private Revocation scheduleOn(Handle h, ScheduleRevocation command, Scheduling scheduling) {
    ValidRevokeRequest request = command.request();
    SharedContext ctx = request.context();
    SqlCondition condition = scheduling.condition();
    String fingerprint = scheduling.fingerprint();
    // Attempts of one request queue here, so exactly one of them schedules: all requests with one
    // idempotency key, or the retried attempts of one workflow run.
    String claim =
        ctx.idempotencyKey() != null
            ? "apikeys.revocation:" + ctx.idempotencyKey()
            : "apikeys.revocation-run:" + command.workflowRunId();
    h.createQuery("select pg_advisory_xact_lock(hashtextextended(:claim, 0))")
        .bind("claim", claim)
        .mapTo(String.class)
        .one();
    Optional<RevocationRow> earlier =
        ctx.idempotencyKey() != null
            ? findRevocation(h, "idempotency_key = :v", ctx.idempotencyKey())
            : findRevocation(h, "workflow_run_id = :v", command.workflowRunId());
    if (earlier.isPresent()) {
      RevocationRow row = earlier.get();
      if (!row.requestFingerprint().equals(fingerprint)) {
        throw ApiKeyException.conflict(
            "idempotency key \"" + ctx.idempotencyKey() + "\" was already used for a"
                + " different revoke request (workflow " + row.workflowId() + ")");
      }
      // The revocation belongs to the workflow id that scheduled it: a retried attempt, a reset
      // or a rerun of that id finds its own revocation; any other workflow is a duplicate of it.
      return row.facts(row.workflowId().equals(command.workflowId()) ? null : row.workflowId());
    }

    // The selector is evaluated once, here, under the statement timeout: a selector that runs
    // past it is the request's fault (INVALID_DATA). Every later statement reads the matched ids,
    // so from here on a wait can only be for a lock, bounded by the lock timeout and retried as a
    // fault.
    h.createUpdate(
            "create temporary table apikeys_matched on commit drop as"
                + " select sk.id from api_key sk where sk.deleted_at is null and ("
                + condition.sql() + ")")
        .bindMap(condition.params())
        .execute();
    try {
      h.execute("analyze apikeys_matched");
      h.execute("set local statement_timeout = 0");

      // The matched keys are locked first, in id order: the revocation's seq is then taken after
      // every earlier change to these keys has committed, so seq order is the order in which
      // revocations reached each key.
      Recomputed counts = lockKeys(h, MATCHED, Map.of());

      // Medusa's refusals, found before anything is written.
      if (request.singleKey() && counts.matched() == 0) {
        throw ApiKeyException.notFound("ApiKey with id \"" + request.id() + "\" not found");
      }
      if (counts.revokedSecret() > 0) {
        // Medusa's message, word for word.
        throw ApiKeyException.invalidData(
            "There are " + counts.revokedSecret() + " secret keys that are already revoked.");
      }

      String revocationId = ApiKeyIds.newId(REVOCATION_ID_PREFIX);
      long seq =
          h.createQuery(
                  "insert into apikeys_revocation (id, idempotency_key, request_fingerprint,"
                      + " workflow_id, workflow_run_id, revoked_by, scheduled_at, status,"
                      + " key_count, request_id, transaction_id, run_id, event_group_id,"
                      + " parent_step_idempotency_key, canceling_from_parent_step, hold_events,"
                      + " isolation_level, reason) values (:id, :key, :fingerprint, :workflowId,"
                      + " :runId, :by, :at, 'scheduled', :n, :requestId, :transactionId,"
                      + " :ctxRunId, :eventGroupId, :parentKey, :fromParent, :hold, :isolation,"
                      + " :reason) returning seq")
              .bind("id", revocationId)
              .bind("key", ctx.idempotencyKey())
              .bind("fingerprint", fingerprint)
              .bind("workflowId", command.workflowId())
              .bind("runId", command.workflowRunId())
              .bind("by", request.revokedBy())
              .bind("at", command.scheduledAt())
              .bind("n", counts.matched())
              .bind("requestId", ctx.requestId())
              .bind("transactionId", ctx.transactionId())
              .bind("ctxRunId", ctx.runId())
              .bind("eventGroupId", ctx.eventGroupId())
              .bind("parentKey", ctx.parentStepIdempotencyKey())
              .bind("fromParent", ctx.fromParentStep())
              .bind("hold", ctx.holdsEvents())
              .bind("isolation", scheduling.isolationName())
              .bind("reason", request.reason())
              .mapTo(Long.class)
              .one();
      recompute(
          h, MATCHED, Map.of(), revocationId, seq, request.revokedBy(), null,
          command.scheduledAt(), true, scheduling.isolation());
      Revocation scheduled = lock(h, revocationId).facts(null);
      // In a caller's own transaction, this counts when the caller commits, and not on rollback.
      h.afterCommit(() -> metrics.revocationScheduled(counts.matched()));
      return scheduled;
    } finally {
      dropMatched(h);
    }
  }

  /**
   * Drops the matched ids as soon as they are used: in a caller's transaction, "on commit drop"
   * would keep them until the caller commits, and a second revoke in that transaction would find
   * the table taken. Skipped on a transaction that a failure has already aborted.
   */
  private static void dropMatched(Handle h) {
    try {
      h.execute("drop table if exists apikeys_matched");
    } catch (RuntimeException abortedTransaction) {
      // The transaction is rolling back; the table goes with it.
    }
  }

  /** See {@code RevocationActivities#stamp}. */
  public RevokeResult stamp(String revocationId, Instant workflowNow) {
    TransactionIsolationLevel isolation = isolationOf(revocationId);
    return jdbi.inTransaction(
        isolation,
        h -> {
          boundLockWaits(h);
          RevocationRow row = lock(h, revocationId);
          if (row.state() != RevocationState.SCHEDULED
              || row.scheduledAt().isAfter(now(h, workflowNow))) {
            return result(h, row);
          }
          // Usually no key needs writing: scheduling set them all. A key someone else moved later
          // (or cleared) meanwhile is put back; the recompute keeps every other revocation's
          // claim on it too.
          Map<String, Object> params = Map.of("rid", revocationId, "at", row.scheduledAt());
          if (lockKeys(h, KEYS_LATER_THAN_INSTANT, params).matched() > 0) {
            recompute(
                h, KEYS_LATER_THAN_INSTANT, params, revocationId, row.seq(), row.revokedBy(),
                row.scheduledAt(), row.scheduledAt(), false, isolation);
          }
          outbox.recordRevoked(h, revocationId, row.holdEvents());
          h.createUpdate(
                  "update apikeys_revocation set status = 'revoked', completed_at = now(),"
                      + " updated_at = now() where id = :rid")
              .bind("rid", revocationId)
              .execute();
          // now() is the transaction's start, the completed_at just written.
          Duration lateness = Duration.between(row.scheduledAt(), now(h, null));
          h.afterCommit(() -> metrics.revocationStamped(row.keyCount(), lateness));
          return result(h, lock(h, revocationId));
        });
  }

  /**
   * See {@code RevocationActivities#cancel}. Without {@code workflowNow} (older workflow code,
   * which decided on its own clock) a scheduled revocation is cancelled whatever the time.
   */
  public Revocation cancel(String revocationId, Instant workflowNow, String by) {
    TransactionIsolationLevel isolation = isolationOf(revocationId);
    return jdbi.inTransaction(
        isolation,
        h -> {
          boundLockWaits(h);
          RevocationRow row = lock(h, revocationId);
          if (row.state() != RevocationState.SCHEDULED
              || (workflowNow != null && !row.scheduledAt().isAfter(now(h, workflowNow)))) {
            // Stamped, cancelled, or due: the revocation stands as it is.
            return row.facts(null);
          }
          lockKeys(h, revocationId);
          recompute(
              h, KEYS_OF_REVOCATION, Map.of(), revocationId, row.seq(), row.revokedBy(),
              row.scheduledAt(), null, false, isolation);
          h.createUpdate(
                  "update apikeys_revocation set status = 'cancelled', cancelled_by = :by,"
                      + " completed_at = now(), updated_at = now() where id = :rid")
              .bind("by", by)
              .bind("rid", revocationId)
              .execute();
          outbox.recordChange(h, EVENT_CANCELLED, revocationId, by, null);
          h.afterCommit(metrics::revocationCancelled);
          return lock(h, revocationId).facts(null);
        });
  }

  /**
   * See {@code RevocationActivities#reschedule}. Without {@code workflowNow} (older workflow code)
   * only the state is checked.
   */
  public Revocation reschedule(
      String revocationId, Instant scheduledAt, String by, Instant workflowNow) {
    TransactionIsolationLevel isolation = isolationOf(revocationId);
    return jdbi.inTransaction(
        isolation,
        h -> {
          boundLockWaits(h);
          RevocationRow row = lock(h, revocationId);
          if (row.state() != RevocationState.SCHEDULED) {
            throw ApiKeyException.notAllowed(
                "revocation " + revocationId + " is " + row.status()
                    + "; it can no longer be rescheduled");
          }
          if (workflowNow != null && !row.scheduledAt().isAfter(now(h, workflowNow))) {
            throw ApiKeyException.notAllowed(
                "the scheduled instant has passed; the revocation stands");
          }
          lockKeys(h, revocationId);
          recompute(
              h, KEYS_OF_REVOCATION, Map.of(), revocationId, row.seq(), row.revokedBy(),
              row.scheduledAt(), scheduledAt, false, isolation);
          h.createUpdate(
                  "update apikeys_revocation set scheduled_at = :at, rescheduled_by = :by,"
                      + " updated_at = now() where id = :rid")
              .bind("at", scheduledAt)
              .bind("by", by)
              .bind("rid", revocationId)
              .execute();
          outbox.recordChange(h, EVENT_RESCHEDULED, revocationId, by, scheduledAt);
          return lock(h, revocationId).facts(null);
        });
  }

  /**
   * Runs every statement a revocation runs — schedule, stamp, the result's pages — on a key that
   * exists only inside a transaction that is then rolled back, so that a worker's first real
   * revocation finds its classes loaded, its statements parsed and its connections open, and
   * nothing is left behind.
   */
  public void warmUp() {
    jdbi.useTransaction(
        h -> {
          String keyId = ApiKeyIds.newId("apk_");
          h.createUpdate(
                  "insert into api_key (id, token, salt, redacted, title, type, created_by)"
                      + " values (:id, :token, '', 'pk_war***mup', 'warm-up', 'publishable',"
                      + " 'apikeys-warm-up')")
              .bind("id", keyId)
              .bind("token", "pk_warm_up_" + keyId)
              .execute();
          ValidRevokeRequest request =
              new ValidRevokeRequest(
                  null,
                  com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                      .put("created_by", "apikeys-warm-up"),
                  "apikeys-warm-up",
                  0,
                  SharedContext.EMPTY);
          ScheduleRevocation command =
              new ScheduleRevocation(
                  "apikeys-warm-up", "apikeys-warm-up-" + keyId, request, Instant.now(), null);
          Revocation scheduled = scheduleOn(h, command, prepare(command));
          RevocationRow row = lock(h, scheduled.revocationId());
          Map<String, Object> params =
              Map.of("rid", row.id(), "at", row.scheduledAt());
          lockKeys(h, KEYS_LATER_THAN_INSTANT, params);
          recompute(
              h, KEYS_LATER_THAN_INSTANT, params, row.id(), row.seq(), row.revokedBy(),
              row.scheduledAt(), row.scheduledAt(), false, TransactionIsolationLevel.UNKNOWN);
          outbox.recordRevoked(h, row.id(), true);
          result(h, row);
          h.rollback();
        });
  }

  /** The revocation as it stands, with as many of its keys as the result's byte budget allows. */
  public RevokeResult describe(String revocationId) {
    return jdbi.inTransaction(
        h ->
            result(
                h,
                findRevocation(h, "id = :v", revocationId)
                    .orElseThrow(
                        () ->
                            ApiKeyException.notFound(
                                "revocation " + revocationId + " not found"))));
  }

  /**
   * A scheduled revocation as the reconciler sees it: what a fresh workflow needs to take it over,
   * and whether its instant has passed by the database's clock.
   */
  public record Pending(Revocation revocation, String fingerprint, boolean due) {}

  /** Scheduled revocations after {@code afterId}, by id, at most {@code limit}. */
  public List<Pending> scheduled(String afterId, int limit) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select " + REVOCATION_COLUMNS + ", scheduled_at <= now() as due"
                        + " from apikeys_revocation where status = 'scheduled' and id > :after"
                        + " order by id limit :limit")
                .bind("after", afterId == null ? "" : afterId)
                .bind("limit", limit)
                .map(
                    (rs, ctx) -> {
                      RevocationRow row =
                          ctx.findMapperFor(RevocationRow.class).orElseThrow().map(rs, ctx);
                      return new Pending(
                          row.facts(null), row.requestFingerprint(), rs.getBoolean("due"));
                    })
                .list());
  }

  /** Every key of a revocation, for callers that need more than the result lists. */
  public List<ApiKeyDTO> keys(String revocationId) {
    return jdbi.withHandle(h -> keys(h, revocationId));
  }

  /** As {@link #keys(String)}, on a handle the caller holds (in its transaction). */
  public List<ApiKeyDTO> keys(Handle h, String revocationId) {
    List<ApiKeyDTO> all = new ArrayList<>();
    String after = "";
    while (true) {
      Page page = page(h, revocationId, after, 10_000);
      all.addAll(page.keys());
      if (page.ids() < 10_000) {
        return all;
      }
      after = page.lastId();
    }
  }

  /**
   * A page of a revocation's keys: how many of its ids the page covered, the last of them, and
   * the keys that still exist among them.
   */
  private record Page(int ids, String lastId, List<ApiKeyDTO> keys) {}

  private static Page page(Handle h, String revocationId, String afterId, int limit) {
    List<ApiKeyDTO> keys = new ArrayList<>();
    String[] last = {afterId};
    int[] ids = {0};
    h.createQuery(RESULT_KEYS)
        .bind("rid", revocationId)
        .bind("afterId", afterId)
        .bind("limit", limit)
        .map(
            (rs, ctx) -> {
              ids[0]++;
              last[0] = rs.getString("page_id");
              if (rs.getString("id") != null) {
                keys.add(ApiKeyRow.MAPPER.map(rs, ctx).toDto());
              }
              return null;
            })
        .list();
    return new Page(ids[0], last[0], keys);
  }

  /** Recomputes the keys {@code targets} names; returns how many rows it changed. */
  private long recompute(
      Handle h,
      String targets,
      Map<String, ?> targetParams,
      String revocationId,
      long seq,
      String by,
      Instant beforeAt,
      Instant afterAt,
      boolean scheduling,
      TransactionIsolationLevel isolation) {
    Map<String, Object> params = new HashMap<>(targetParams);
    params.put("rid", revocationId);
    params.put("seq", seq);
    params.put("by", by);
    params.put("beforeAt", beforeAt);
    params.put("afterAt", afterAt);
    params.put("scheduling", scheduling);
    return h.createQuery(RECOMPUTE)
        .define("targets", targets)
        .define(
            "shareLocks",
            isolation == TransactionIsolationLevel.REPEATABLE_READ ? "for share of rk, r" : "")
        .bindMap(params)
        .map((rs, ctx) -> rs.getLong("moved"))
        .one();
  }

  private static void lockKeys(Handle h, String revocationId) {
    lockKeys(h, KEYS_OF_REVOCATION, Map.of("rid", revocationId));
  }

  /** Locks the keys {@code targets} names, in id order; see {@code lock_keys.sql}. */
  private static Recomputed lockKeys(Handle h, String targets, Map<String, ?> params) {
    return h.createQuery(LOCK_KEYS)
        .define("targets", targets)
        .bindMap(params)
        .map((rs, ctx) -> new Recomputed(rs.getLong("matched"), rs.getLong("revoked_secret")))
        .one();
  }

  /**
   * The isolation level the revocation was asked for, for every later transaction of its own
   * (stamp, cancel, reschedule); read before the transaction begins, since it sets how it begins.
   */
  private TransactionIsolationLevel isolationOf(String revocationId) {
    return isolationLevel(
        jdbi.withHandle(
            h ->
                h.createQuery("select isolation_level from apikeys_revocation where id = :rid")
                    .bind("rid", revocationId)
                    .mapTo(String.class)
                    .findOne()
                    .orElse(null)));
  }

  private static void boundLockWaits(Handle h) {
    // A number from this class, not from a request: safe to write into the statement.
    h.execute("set local lock_timeout = " + LOCK_TIMEOUT.toMillis());
  }

  /** The later of the database's clock and the caller's workflow time. */
  private static Instant now(Handle h, Instant workflowNow) {
    Instant db = h.createQuery("select now()").mapTo(Instant.class).one();
    return workflowNow != null && workflowNow.isAfter(db) ? workflowNow : db;
  }

  private static Optional<RevocationRow> findRevocation(Handle h, String where, String value) {
    return h.createQuery(
            "select " + REVOCATION_COLUMNS + " from apikeys_revocation where " + where)
        .bind("v", value)
        .mapTo(RevocationRow.class)
        .findOne();
  }

  private static RevocationRow lock(Handle h, String revocationId) {
    return h.createQuery(
            "select " + REVOCATION_COLUMNS + " from apikeys_revocation where id = :rid for update")
        .bind("rid", revocationId)
        .mapTo(RevocationRow.class)
        .findOne()
        .orElseThrow(
            () -> ApiKeyException.notFound("revocation " + revocationId + " not found"));
  }

  /**
   * The revocation with its keys, by id, as far as {@link RevokeResult#MAX_INLINE_KEY_BYTES} of
   * their JSON goes: a budget in bytes, because one key's title alone may be ten thousand
   * characters.
   */
  private static RevokeResult result(Handle h, RevocationRow row) {
    List<ApiKeyDTO> listed = new ArrayList<>();
    long budget = RevokeResult.MAX_INLINE_KEY_BYTES;
    String after = "";
    boolean full = false;
    while (!full) {
      Page page = page(h, row.id(), after, RESULT_PAGE);
      for (ApiKeyDTO key : page.keys()) {
        long size = jsonBytes(key) + 1;
        if (size > budget) {
          full = true;
          break;
        }
        budget -= size;
        listed.add(key);
      }
      if (page.ids() < RESULT_PAGE) {
        break;
      }
      after = page.lastId();
    }
    return new RevokeResult(
        row.id(), row.workflowId(), row.state(), row.revokedBy(), row.scheduledAt(),
        row.keyCount(), listed.size() < row.keyCount(), listed, null, null);
  }

  private static long jsonBytes(ApiKeyDTO key) {
    try {
      return JSON.writeValueAsString(key).getBytes(StandardCharsets.UTF_8).length;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("an ApiKeyDTO is always writable as JSON", e);
    }
  }
}
