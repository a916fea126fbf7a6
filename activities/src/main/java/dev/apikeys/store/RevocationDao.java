package dev.apikeys.store;

import dev.apikeys.revocation.Revocation;
import dev.apikeys.revocation.RevocationState;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.mapper.Nested;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.BindMap;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.customizer.Define;
import org.jdbi.v3.sqlobject.locator.UseClasspathSqlLocator;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * The statements of {@link RevocationStore}, one a method, on a handle that is in the store's
 * transaction. The long ones live beside this class, in {@code RevocationDao/*.sql}, with their
 * reasons; {@code <targets>} in them is one of the key sets below. The transaction's settings come
 * with it, from {@link SettingsDao}.
 */
@RegisterConstructorMapper(RevocationDao.RevocationRow.class)
@RegisterConstructorMapper(RevocationDao.LockedKeys.class)
@RegisterConstructorMapper(RevocationDao.Recomputed.class)
@RegisterConstructorMapper(RevocationDao.PendingRow.class)
interface RevocationDao extends SettingsDao {

  /** The keys a schedule matched, once they are locked; deleted meanwhile, they drop out. */
  String MATCHED =
      """
      select m.id from apikeys_matched m join api_key mk on mk.id = m.id
      where mk.deleted_at is null""";

  /** The keys of revocation {@code :rid}. */
  String KEYS_OF_REVOCATION =
      "select rk.api_key_id from apikeys_revocation_key rk where rk.revocation_id = :rid";

  /**
   * The keys of revocation {@code :rid} that someone else moved later than {@code :at}, or cleared.
   */
  String KEYS_LATER_THAN_INSTANT =
      """
      select rk.api_key_id from apikeys_revocation_key rk
      join api_key lk on lk.id = rk.api_key_id where rk.revocation_id = :rid
      and (lk.revoked_at is null or lk.revoked_at > :at)""";

  /** Locks the rows a REPEATABLE READ recompute reads; see {@code recompute.sql}. */
  String SHARE_LOCKS = "for share of rk, r";

  /** A row of {@code apikeys_revocation}, as far as the store reads it. */
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
      return new Revocation(id, workflowId, state(), revokedBy, scheduledAt, keyCount, duplicateOf);
    }
  }

  /** What locking a set of keys found: how many, and how many secret keys already revoked. */
  record LockedKeys(long matched, long revokedSecret) {}

  /** What a recompute did: how many keys it planned for, and how many rows it changed. */
  record Recomputed(long matched, long moved) {}

  /** A scheduled revocation, with whether its instant has passed by the database's clock. */
  record PendingRow(@Nested RevocationRow revocation, boolean due) {}

  /**
   * One row of a page of a revocation's keys: the id the page covered and the key as it is now,
   * null when it was deleted since.
   */
  record KeyPageRow(String pageId, ApiKeyRow key) {
    /** Written out, as {@link ApiKeyRow#MAPPER} is: a result reads many of these. */
    static final RowMapper<KeyPageRow> MAPPER =
        (rs, ctx) ->
            new KeyPageRow(
                rs.getString("page_id"),
                rs.getString("id") == null ? null : ApiKeyRow.MAPPER.map(rs, ctx));
  }

  /** What {@code insert_revocation.sql} writes; bound by its accessors' names. */
  record NewRevocation(
      String id,
      String idempotencyKey,
      String fingerprint,
      String workflowId,
      String workflowRunId,
      String revokedBy,
      Instant scheduledAt,
      long keyCount,
      String requestId,
      String transactionId,
      String contextRunId,
      String eventGroupId,
      String parentStepIdempotencyKey,
      boolean fromParentStep,
      boolean holdEvents,
      String isolationLevel,
      String reason) {}

  /**
   * Queues this transaction behind every other that holds {@code claim} until it ends. Returns
   * nothing (null); the lock is the point.
   */
  @SqlQuery("select pg_advisory_xact_lock(hashtextextended(:claim, 0))")
  String waitForClaim(String claim);

  @SqlQuery(
      """
      select id, seq, idempotency_key, request_fingerprint, workflow_id, revoked_by,
        scheduled_at, status, key_count, hold_events
      from apikeys_revocation where idempotency_key = :idempotencyKey""")
  Optional<RevocationRow> findByIdempotencyKey(String idempotencyKey);

  @SqlQuery(
      """
      select id, seq, idempotency_key, request_fingerprint, workflow_id, revoked_by,
        scheduled_at, status, key_count, hold_events
      from apikeys_revocation where workflow_run_id = :workflowRunId""")
  Optional<RevocationRow> findByWorkflowRunId(String workflowRunId);

  @SqlQuery(
      """
      select id, seq, idempotency_key, request_fingerprint, workflow_id, revoked_by,
        scheduled_at, status, key_count, hold_events
      from apikeys_revocation where id = :id""")
  Optional<RevocationRow> findById(String id);

  /** The revocation, locked until the transaction ends. */
  @SqlQuery(
      """
      select id, seq, idempotency_key, request_fingerprint, workflow_id, revoked_by,
        scheduled_at, status, key_count, hold_events
      from apikeys_revocation where id = :id for update""")
  Optional<RevocationRow> lock(String id);

  @SqlQuery("select isolation_level from apikeys_revocation where id = :id")
  Optional<String> isolationLevel(String id);

  @SqlQuery("select now()")
  Instant now();

  @SqlUpdate("create_matched")
  @UseClasspathSqlLocator
  void createMatched(@Define("condition") String condition, @BindMap Map<String, ?> params);

  @SqlUpdate("analyze apikeys_matched")
  void analyzeMatched();

  @SqlUpdate("analyze apikeys_revocation_key")
  void analyzeRevocationKeys();

  @SqlUpdate("drop table if exists apikeys_matched")
  void dropMatched();

  /** Locks the keys {@code targets} names, in id order; see {@code lock_keys.sql}. */
  @SqlQuery("lock_keys")
  @UseClasspathSqlLocator
  LockedKeys lockKeys(@Define("targets") String targets, @BindMap Map<String, ?> params);

  /** Returns the new revocation's seq. */
  @SqlQuery("insert_revocation")
  @UseClasspathSqlLocator
  long insert(@BindMethods NewRevocation revocation);

  /**
   * Recomputes the keys {@code targets} names for a change of revocation {@code rid}; see {@code
   * recompute.sql}. {@code shareLocks} is {@link #SHARE_LOCKS} or empty.
   */
  @SqlQuery
  @UseClasspathSqlLocator
  Recomputed recompute(
      @Define("targets") String targets,
      @Define("shareLocks") String shareLocks,
      @BindMap Map<String, ?> targetParams,
      String rid,
      long seq,
      String by,
      Instant beforeAt,
      Instant afterAt,
      boolean scheduling);

  @SqlUpdate(
      """
      update apikeys_revocation set status = 'revoked', completed_at = now(), updated_at = now()
      where id = :id""")
  void markRevoked(String id);

  @SqlUpdate(
      """
      update apikeys_revocation set status = 'cancelled', cancelled_by = :by,
        completed_at = now(), updated_at = now()
      where id = :id""")
  void markCancelled(String id, String by);

  @SqlUpdate(
      """
      update apikeys_revocation set scheduled_at = :scheduledAt, rescheduled_by = :by,
        updated_at = now()
      where id = :id""")
  void moveInstant(String id, Instant scheduledAt, String by);

  /** A page of the revocation's keys after {@code afterId}; see {@code result_keys.sql}. */
  @SqlQuery("result_keys")
  @UseClasspathSqlLocator
  List<KeyPageRow> resultKeys(String rid, String afterId, int limit);

  @SqlQuery
  @UseClasspathSqlLocator
  List<PendingRow> scheduled(String after, int limit);
}
