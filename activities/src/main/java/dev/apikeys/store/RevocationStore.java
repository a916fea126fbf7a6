package dev.apikeys.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.apikeys.metrics.ApiKeyMetrics;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.ApiKeysJson;
import dev.apikeys.revocation.Revocation;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.ScheduleRevocation;
import dev.apikeys.revocation.SharedContext;
import dev.apikeys.revocation.ValidRevokeRequest;
import dev.apikeys.store.RevocationDao.KeyPageRow;
import dev.apikeys.store.RevocationDao.LockedKeys;
import dev.apikeys.store.RevocationDao.NewRevocation;
import dev.apikeys.store.RevocationDao.Recomputed;
import dev.apikeys.store.RevocationDao.RevocationRow;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The revocation tables and what they do to {@code api_key}. Every method is one transaction; every
 * method is safe to run twice.
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

  /**
   * How long a statement here waits for a row or advisory lock before it gives up; the failure is a
   * fault, and the activity is retried. Shorter than the selector timeout, so waiting behind
   * another revocation of the same keys (a bulk one holds its keys for seconds) is never mistaken
   * for a selector that runs too long.
   */
  static final Duration LOCK_TIMEOUT = Duration.ofSeconds(5);

  /** Keys are read for a result this many at a time, until the byte budget is spent. */
  private static final int RESULT_PAGE = 200;

  /** Keys are read for {@link #keys(String)} this many at a time. */
  private static final int KEYS_PAGE = 10_000;

  /**
   * A revocation of this many keys or more refreshes the planner's statistics of the revocations'
   * keys once it has committed; see {@link #refreshKeyStatistics}.
   */
  static final long ANALYZE_AFTER_KEYS = 10_000;

  /** How long that refresh waits for its table lock before leaving the job to autovacuum. */
  private static final Duration ANALYZE_LOCK_TIMEOUT = Duration.ofMillis(200);

  /** Who and what the warm-up's rolled-back revocation names. */
  private static final String WARM_UP = "apikeys-warm-up";

  private static final Logger log = LoggerFactory.getLogger(RevocationStore.class);

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

  /**
   * @param metrics told of each schedule, stamp and cancel once it has committed
   */
  public RevocationStore(Jdbi jdbi, Duration selectorTimeout, ApiKeyMetrics metrics) {
    this(
        jdbi,
        SelectorCompiler.refusingSecretTokens(),
        new SelectorQueries(selectorTimeout),
        new EventOutbox(),
        metrics);
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

  /** See {@code RevocationActivities#schedule}: in a transaction of its own. */
  public Revocation schedule(ScheduleRevocation command) {
    Scheduling scheduling = prepare(command);
    Revocation scheduled =
        selectorQueries.inTransaction(
            jdbi,
            scheduling.isolation(),
            h -> {
              RevocationDao dao = h.attach(RevocationDao.class);
              boundLockWaits(dao);
              return scheduleOn(h, dao, command, scheduling);
            });
    if (scheduled.owned() && scheduled.keyCount() >= ANALYZE_AFTER_KEYS) {
      refreshKeyStatistics();
    }
    return scheduled;
  }

  /**
   * Refreshes the planner's statistics of {@code apikeys_revocation_key} once a large revocation
   * has committed. Until autovacuum comes by (a minute or more later) the planner takes the new
   * revocation for a few hundred rows, and the stamp, the event insert and each page of the result
   * probe its keys one at a time: about half a second each at 100,000 keys, against about 100 ms
   * for the ANALYZE (docs/benchmarks.md). Best effort: when the table's lock is not free within
   * {@link #ANALYZE_LOCK_TIMEOUT}, or the database user may not analyze the table, the statistics
   * stay as they were and nothing else changes.
   */
  private void refreshKeyStatistics() {
    try {
      jdbi.useTransaction(
          h -> {
            RevocationDao dao = h.attach(RevocationDao.class);
            dao.boundLockWaits(ANALYZE_LOCK_TIMEOUT.toMillis());
            dao.analyzeRevocationKeys();
          });
    } catch (RuntimeException e) {
      log.debug(
          "apikeys_revocation_key statistics left to autovacuum ({})", e.getClass().getName());
    }
  }

  /**
   * Schedules inside a transaction the caller holds (the shared context's transactionManager): the
   * same steps as {@link #schedule}, neither committing nor rolling back. Refusals are found before
   * anything is written, so a refused request leaves the caller's transaction as it was; with
   * {@code nested}, the steps run in a savepoint that a failure of any kind rolls back. The
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
                RevocationDao dao = h.attach(RevocationDao.class);
                String lockTimeout = dao.current("lock_timeout");
                try {
                  boundLockWaits(dao);
                  return scheduleOn(h, dao, command, scheduling);
                } finally {
                  SelectorQueries.restoreSetting(dao, "lock_timeout", lockTimeout);
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
      SqlCondition condition,
      String fingerprint,
      TransactionIsolationLevel isolation,
      String isolationName) {}

  private Scheduling prepare(ScheduleRevocation command) {
    ValidRevokeRequest request = command.request();
    SqlCondition condition =
        request.singleKey()
            ? new SqlCondition("id = :s1", Map.of("s1", request.id()), 1)
            : selectors.compileNonEmpty(request.selector());
    String name = request.context().isolationLevel();
    if (command.fingerprint() == null) {
      throw new IllegalArgumentException(
          "the caller computes the request's fingerprint (RequestFingerprint.of) and sends it with"
              + " the command; the store does not");
    }
    return new Scheduling(condition, command.fingerprint(), isolationLevel(name), name);
  }

  /**
   * The shared context's {@code isolationLevel}, as JDBI names it; absent: the database's default.
   * Anything else is INVALID_DATA naming the field.
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
                  + " or SERIALIZABLE, got \""
                  + name
                  + "\"");
    };
  }

  /** The schedule step's statements, on a handle in a transaction (its own, or the caller's). */
  private Revocation scheduleOn(
      Handle h, RevocationDao dao, ScheduleRevocation command, Scheduling scheduling) {
    ValidRevokeRequest request = command.request();
    SharedContext ctx = request.context();
    String fingerprint = scheduling.fingerprint();
    // Attempts of one request queue here, so exactly one of them schedules: all requests with one
    // idempotency key, or the retried attempts of one workflow run.
    dao.waitForClaim(
        ctx.idempotencyKey() != null
            ? "apikeys.revocation:" + ctx.idempotencyKey()
            : "apikeys.revocation-run:" + command.workflowRunId());
    Optional<RevocationRow> earlier =
        ctx.idempotencyKey() != null
            ? dao.findByIdempotencyKey(ctx.idempotencyKey())
            : dao.findByWorkflowRunId(command.workflowRunId());
    if (earlier.isPresent()) {
      RevocationRow row = earlier.get();
      if (!row.requestFingerprint().equals(fingerprint)) {
        throw ApiKeyException.conflict(
            "idempotency key \""
                + ctx.idempotencyKey()
                + "\" was already used for a"
                + " different revoke request (workflow "
                + row.workflowId()
                + ")");
      }
      // The revocation belongs to the workflow id that scheduled it: a retried attempt, a reset
      // or a rerun of that id finds its own revocation; any other workflow is a duplicate of it.
      return row.facts(row.workflowId().equals(command.workflowId()) ? null : row.workflowId());
    }

    dao.createMatched(scheduling.condition().sql(), scheduling.condition().params());
    try {
      dao.analyzeMatched();
      dao.liftStatementTimeout();

      // The matched keys are locked first, in id order: the revocation's seq is then taken after
      // every earlier change to these keys has committed, so seq order is the order in which
      // revocations reached each key.
      LockedKeys counts = dao.lockKeys(RevocationDao.MATCHED, Map.of());

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
          dao.insert(
              new NewRevocation(
                  revocationId,
                  ctx.idempotencyKey(),
                  fingerprint,
                  command.workflowId(),
                  command.workflowRunId(),
                  request.revokedBy(),
                  command.scheduledAt(),
                  counts.matched(),
                  ctx.requestId(),
                  ctx.transactionId(),
                  ctx.runId(),
                  ctx.eventGroupId(),
                  ctx.parentStepIdempotencyKey(),
                  ctx.fromParentStep(),
                  ctx.holdsEvents(),
                  scheduling.isolationName(),
                  request.reason()));
      recompute(
          dao,
          RevocationDao.MATCHED,
          Map.of(),
          revocationId,
          seq,
          request.revokedBy(),
          null,
          command.scheduledAt(),
          true,
          scheduling.isolation());
      Revocation scheduled = lock(dao, revocationId).facts(null);
      // In a caller's own transaction, this counts when the caller commits, and not on rollback.
      h.afterCommit(() -> metrics.revocationScheduled(counts.matched()));
      return scheduled;
    } finally {
      dropMatched(dao);
    }
  }

  /**
   * Drops the matched ids as soon as they are used: in a caller's transaction, "on commit drop"
   * would keep them until the caller commits, and a second revoke in that transaction would find
   * the table taken. Skipped on a transaction that a failure has already aborted.
   */
  private static void dropMatched(RevocationDao dao) {
    try {
      dao.dropMatched();
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
          RevocationDao dao = h.attach(RevocationDao.class);
          boundLockWaits(dao);
          RevocationRow row = lock(dao, revocationId);
          if (row.state() != RevocationState.SCHEDULED
              || row.scheduledAt().isAfter(now(dao, workflowNow))) {
            return result(dao, row);
          }
          // Usually no key needs writing: scheduling set them all. A key someone else moved later
          // (or cleared) meanwhile is put back; the recompute keeps every other revocation's
          // claim on it too.
          Map<String, Object> params = Map.of("rid", revocationId, "at", row.scheduledAt());
          if (dao.lockKeys(RevocationDao.KEYS_LATER_THAN_INSTANT, params).matched() > 0) {
            recompute(
                dao,
                RevocationDao.KEYS_LATER_THAN_INSTANT,
                params,
                revocationId,
                row.seq(),
                row.revokedBy(),
                row.scheduledAt(),
                row.scheduledAt(),
                false,
                isolation);
          }
          outbox.recordRevoked(h, revocationId, row.holdEvents());
          dao.markRevoked(revocationId);
          // now() is the transaction's start, the completed_at just written.
          Duration lateness = Duration.between(row.scheduledAt(), now(dao, null));
          h.afterCommit(() -> metrics.revocationStamped(row.keyCount(), lateness));
          return result(dao, lock(dao, revocationId));
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
          RevocationDao dao = h.attach(RevocationDao.class);
          boundLockWaits(dao);
          RevocationRow row = lock(dao, revocationId);
          if (row.state() != RevocationState.SCHEDULED
              || (workflowNow != null && !row.scheduledAt().isAfter(now(dao, workflowNow)))) {
            // Stamped, cancelled, or due: the revocation stands as it is.
            return row.facts(null);
          }
          lockKeys(dao, revocationId);
          recompute(
              dao,
              RevocationDao.KEYS_OF_REVOCATION,
              Map.of(),
              revocationId,
              row.seq(),
              row.revokedBy(),
              row.scheduledAt(),
              null,
              false,
              isolation);
          dao.markCancelled(revocationId, by);
          outbox.recordChange(h, EVENT_CANCELLED, revocationId, by, null);
          h.afterCommit(metrics::revocationCancelled);
          return lock(dao, revocationId).facts(null);
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
          RevocationDao dao = h.attach(RevocationDao.class);
          boundLockWaits(dao);
          RevocationRow row = lock(dao, revocationId);
          if (row.state() != RevocationState.SCHEDULED) {
            throw ApiKeyException.notAllowed(
                "revocation "
                    + revocationId
                    + " is "
                    + row.status()
                    + "; it can no longer be rescheduled");
          }
          if (workflowNow != null && !row.scheduledAt().isAfter(now(dao, workflowNow))) {
            throw ApiKeyException.notAllowed(
                "the scheduled instant has passed; the revocation stands");
          }
          lockKeys(dao, revocationId);
          recompute(
              dao,
              RevocationDao.KEYS_OF_REVOCATION,
              Map.of(),
              revocationId,
              row.seq(),
              row.revokedBy(),
              row.scheduledAt(),
              scheduledAt,
              false,
              isolation);
          dao.moveInstant(revocationId, scheduledAt, by);
          outbox.recordChange(h, EVENT_RESCHEDULED, revocationId, by, scheduledAt);
          return lock(dao, revocationId).facts(null);
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
          h.attach(ApiKeyDao.class)
              .insert(
                  keyId,
                  "pk_warm_up_" + keyId,
                  "",
                  "pk_war***mup",
                  "warm-up",
                  "publishable",
                  WARM_UP);
          ValidRevokeRequest request =
              new ValidRevokeRequest(
                  null,
                  JsonNodeFactory.instance.objectNode().put("created_by", WARM_UP),
                  WARM_UP,
                  0,
                  SharedContext.EMPTY);
          // Any fingerprint does: the revocation is rolled back with its key.
          ScheduleRevocation command =
              new ScheduleRevocation(
                  WARM_UP, WARM_UP + "-" + keyId, request, Instant.now(), WARM_UP);
          RevocationDao dao = h.attach(RevocationDao.class);
          Revocation scheduled = scheduleOn(h, dao, command, prepare(command));
          RevocationRow row = lock(dao, scheduled.revocationId());
          Map<String, Object> params = Map.of("rid", row.id(), "at", row.scheduledAt());
          dao.lockKeys(RevocationDao.KEYS_LATER_THAN_INSTANT, params);
          recompute(
              dao,
              RevocationDao.KEYS_LATER_THAN_INSTANT,
              params,
              row.id(),
              row.seq(),
              row.revokedBy(),
              row.scheduledAt(),
              row.scheduledAt(),
              false,
              TransactionIsolationLevel.UNKNOWN);
          outbox.recordRevoked(h, row.id(), true);
          result(dao, row);
          h.rollback();
        });
  }

  /** The revocation as it stands, with as many of its keys as the result's byte budget allows. */
  public RevokeResult describe(String revocationId) {
    return jdbi.inTransaction(
        h -> {
          RevocationDao dao = h.attach(RevocationDao.class);
          return result(
              dao,
              dao.findById(revocationId)
                  .orElseThrow(
                      () -> ApiKeyException.notFound("revocation " + revocationId + " not found")));
        });
  }

  /**
   * A scheduled revocation as the reconciler sees it: what a fresh workflow needs to take it over,
   * and whether its instant has passed by the database's clock.
   */
  public record Pending(Revocation revocation, String fingerprint, boolean due) {}

  /** Scheduled revocations after {@code afterId}, by id, at most {@code limit}. */
  public List<Pending> scheduled(String afterId, int limit) {
    return jdbi
        .withExtension(
            RevocationDao.class, dao -> dao.scheduled(afterId == null ? "" : afterId, limit))
        .stream()
        .map(
            p ->
                new Pending(
                    p.revocation().facts(null), p.revocation().requestFingerprint(), p.due()))
        .toList();
  }

  /** Every key of a revocation, for callers that need more than the result lists. */
  public List<ApiKeyDTO> keys(String revocationId) {
    return jdbi.withHandle(h -> keys(h, revocationId));
  }

  /** As {@link #keys(String)}, on a handle the caller holds (in its transaction). */
  public List<ApiKeyDTO> keys(Handle h, String revocationId) {
    RevocationDao dao = h.attach(RevocationDao.class);
    List<ApiKeyDTO> all = new ArrayList<>();
    String after = "";
    while (true) {
      Page page = page(dao, revocationId, after, KEYS_PAGE);
      all.addAll(page.keys());
      if (page.ids() < KEYS_PAGE) {
        return all;
      }
      after = page.lastId();
    }
  }

  /**
   * A page of a revocation's keys: how many of its ids the page covered, the last of them, and the
   * keys that still exist among them.
   */
  private record Page(int ids, String lastId, List<ApiKeyDTO> keys) {}

  private static Page page(RevocationDao dao, String revocationId, String afterId, int limit) {
    List<KeyPageRow> rows = dao.resultKeys(revocationId, afterId, limit);
    return new Page(
        rows.size(),
        rows.isEmpty() ? afterId : rows.get(rows.size() - 1).pageId(),
        rows.stream().filter(r -> r.key() != null).map(r -> r.key().toDto()).toList());
  }

  /** Recomputes the keys {@code targets} names; see {@code recompute.sql}. */
  private static Recomputed recompute(
      RevocationDao dao,
      String targets,
      Map<String, ?> targetParams,
      String revocationId,
      long seq,
      String by,
      Instant beforeAt,
      Instant afterAt,
      boolean scheduling,
      TransactionIsolationLevel isolation) {
    return dao.recompute(
        targets,
        isolation == TransactionIsolationLevel.REPEATABLE_READ ? RevocationDao.SHARE_LOCKS : "",
        targetParams,
        revocationId,
        seq,
        by,
        beforeAt,
        afterAt,
        scheduling);
  }

  private static void lockKeys(RevocationDao dao, String revocationId) {
    dao.lockKeys(RevocationDao.KEYS_OF_REVOCATION, Map.of("rid", revocationId));
  }

  /**
   * The isolation level the revocation was asked for, for every later transaction of its own
   * (stamp, cancel, reschedule); read before the transaction begins, since it sets how it begins.
   */
  private TransactionIsolationLevel isolationOf(String revocationId) {
    return isolationLevel(
        jdbi.withExtension(RevocationDao.class, dao -> dao.isolationLevel(revocationId))
            .orElse(null));
  }

  private static void boundLockWaits(RevocationDao dao) {
    dao.boundLockWaits(LOCK_TIMEOUT.toMillis());
  }

  /** The later of the database's clock and the caller's workflow time. */
  private static Instant now(RevocationDao dao, Instant workflowNow) {
    Instant db = dao.now();
    return workflowNow != null && workflowNow.isAfter(db) ? workflowNow : db;
  }

  private static RevocationRow lock(RevocationDao dao, String revocationId) {
    return dao.lock(revocationId)
        .orElseThrow(() -> ApiKeyException.notFound("revocation " + revocationId + " not found"));
  }

  /**
   * The revocation with its keys, by id, as far as {@link RevokeResult#MAX_INLINE_KEY_BYTES} of
   * their JSON goes: a budget in bytes, because one key's title alone may be ten thousand
   * characters.
   */
  private static RevokeResult result(RevocationDao dao, RevocationRow row) {
    List<ApiKeyDTO> listed = new ArrayList<>();
    long budget = RevokeResult.MAX_INLINE_KEY_BYTES;
    String after = "";
    boolean full = false;
    while (!full) {
      Page page = page(dao, row.id(), after, RESULT_PAGE);
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
        row.id(),
        row.workflowId(),
        row.state(),
        row.revokedBy(),
        row.scheduledAt(),
        row.keyCount(),
        listed.size() < row.keyCount(),
        listed,
        null,
        null);
  }

  private static long jsonBytes(ApiKeyDTO key) {
    try {
      return JSON.writeValueAsString(key).getBytes(StandardCharsets.UTF_8).length;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("an ApiKeyDTO is always writable as JSON", e);
    }
  }
}
