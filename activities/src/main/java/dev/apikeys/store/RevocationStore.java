package dev.apikeys.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.ApiKeysJson;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.ScheduleRevocation;
import dev.apikeys.revocation.SharedContext;
import dev.apikeys.revocation.ValidRevokeRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The revocation tables and what they do to {@code api_key} (CONTRACT §3.5–3.9). Every method is
 * one transaction; every method is safe to run twice.
 *
 * <p>How a key's {@code revoked_at} is decided: each revocation remembers the key as it found it;
 * the oldest such memory is the key's own state (its "base"). While revocations are pending, the
 * key carries the earliest of its base and their instants, ties going to the older. Cancelling or
 * rescheduling one revocation recomputes that, and only where the key still holds what this
 * project put there: a change made by someone else (Medusa itself, say) is left alone.
 */
public final class RevocationStore {
  static final String EVENT_REVOKED = "api_key.revoked";
  static final String REVOCATION_ID_PREFIX = "rvk_";

  private static final String REVOCATION_COLUMNS =
      "id, seq, idempotency_key, request_fingerprint, workflow_id, revoked_by, scheduled_at,"
          + " status, key_count, hold_events";

  /**
   * Moves keys to the instant unless an earlier one holds: never later, never reactivated. Only
   * the rows that need the change are locked, in id order like every other key lock here.
   */
  private static final String APPLY_INSTANT =
      "update api_key set revoked_at = :at, revoked_by = :by, updated_at = now()"
          + " where id in (select k.id from api_key k join apikeys_revocation_key rk"
          + "   on k.id = rk.api_key_id where rk.revocation_id = :rid"
          + "   and (k.revoked_at is null or k.revoked_at > :at) order by k.id for update of k)";

  /**
   * Locks every key of a revocation, in id order. Cancel and reschedule take these locks before
   * they read other revocations' state, so two changes to revocations that share a key run one
   * after the other, each seeing what the other committed (READ COMMITTED gives every later
   * statement a fresh snapshot). Without it, a recompute planned from a stale snapshot drops a
   * change that a concurrent transaction needed (FaultToleranceTest found the interleavings).
   */
  private static final String LOCK_REVOCATION_KEYS =
      "select count(*) from (select k.id from api_key k join apikeys_revocation_key rk"
          + " on rk.api_key_id = k.id where rk.revocation_id = :rid order by k.id for update of k)"
          + " locked";

  /**
   * Recomputes the keys of one revocation whose own instant changes from :beforeAt to :afterAt
   * (null: it no longer counts). See the class comment for the rule.
   */
  private static final String RECOMPUTE =
      "with keys as (select api_key_id from apikeys_revocation_key where revocation_id = :rid),"
          + " base as (select distinct on (rk.api_key_id) rk.api_key_id,"
          + "   rk.prior_revoked_at as at, rk.prior_revoked_by as by"
          + "   from apikeys_revocation_key rk join apikeys_revocation r on r.id = rk.revocation_id"
          + "   where rk.api_key_id in (select api_key_id from keys)"
          + "   order by rk.api_key_id, r.seq),"
          + " others as (select distinct on (rk.api_key_id) rk.api_key_id,"
          + "   r.scheduled_at as at, r.revoked_by as by, r.seq"
          + "   from apikeys_revocation_key rk join apikeys_revocation r on r.id = rk.revocation_id"
          + "   where rk.api_key_id in (select api_key_id from keys)"
          + "   and r.id <> :rid and r.status <> 'cancelled'"
          + "   order by rk.api_key_id, r.scheduled_at, r.seq),"
          + " plan as (select b.api_key_id,"
          + "   bef.at as before_at, case when bef.at is null then b.by else bef.by end as before_by,"
          + "   aft.at as after_at, case when aft.at is null then b.by else aft.by end as after_by"
          + "   from base b left join others o on o.api_key_id = b.api_key_id"
          + "   left join lateral (select v.at, v.by from (values"
          + "     (b.at, b.by, cast(0 as bigint)), (o.at, o.by, o.seq),"
          + "     (cast(:beforeAt as timestamptz), cast(:by as text), cast(:seq as bigint))"
          + "     ) v(at, by, seq) where v.at is not null order by v.at, v.seq limit 1) bef on true"
          + "   left join lateral (select v.at, v.by from (values"
          + "     (b.at, b.by, cast(0 as bigint)), (o.at, o.by, o.seq),"
          + "     (cast(:afterAt as timestamptz), cast(:by as text), cast(:seq as bigint))"
          + "     ) v(at, by, seq) where v.at is not null order by v.at, v.seq limit 1) aft on true)"
          + " update api_key k set revoked_at = p.after_at, revoked_by = p.after_by,"
          + "   updated_at = now()"
          + " from plan p where k.id = p.api_key_id"
          + " and k.revoked_at is not distinct from p.before_at"
          + " and k.revoked_by is not distinct from p.before_by"
          + " and (k.revoked_at is distinct from p.after_at"
          + "   or k.revoked_by is distinct from p.after_by)";

  private final Jdbi jdbi;
  private final SelectorCompiler selectors = SelectorCompiler.refusingSecretTokens();
  private final SelectorQueries selectorQueries;
  private final EventOutbox outbox = new EventOutbox();

  public RevocationStore(Jdbi jdbi, Duration selectorTimeout) {
    this.jdbi = jdbi;
    this.selectorQueries = new SelectorQueries(selectorTimeout);
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
  }

  /** See {@code RevocationActivities#schedule}. */
  public RevokeResult schedule(ScheduleRevocation command) {
    ValidRevokeRequest request = command.request();
    SqlCondition condition =
        request.singleKey()
            ? new SqlCondition("id = :s1", Map.of("s1", request.id()), 1)
            : selectors.compileNonEmpty(request.selector());
    String fingerprint = fingerprint(request);
    SharedContext ctx = request.context();
    return selectorQueries.inTransaction(
        jdbi,
        h -> {
          Optional<RevocationRow> retried =
              h.createQuery("select " + REVOCATION_COLUMNS
                      + " from apikeys_revocation where workflow_run_id = :runId")
                  .bind("runId", command.workflowRunId())
                  .mapTo(RevocationRow.class)
                  .findOne();
          if (retried.isPresent()) {
            return result(h, retried.get(), null);
          }
          if (ctx.idempotencyKey() != null) {
            // Concurrent requests with one key queue here, so exactly one of them schedules.
            h.createQuery("select pg_advisory_xact_lock(hashtextextended(:key, 0))")
                .bind("key", "apikeys.revocation:" + ctx.idempotencyKey())
                .mapTo(String.class)
                .one();
            Optional<RevocationRow> earlier =
                h.createQuery("select " + REVOCATION_COLUMNS
                        + " from apikeys_revocation where idempotency_key = :key")
                    .bind("key", ctx.idempotencyKey())
                    .mapTo(RevocationRow.class)
                    .findOne();
            if (earlier.isPresent()) {
              RevocationRow row = earlier.get();
              if (!row.requestFingerprint().equals(fingerprint)) {
                throw ApiKeyException.conflict(
                    "idempotency key \"" + ctx.idempotencyKey() + "\" was already used for a"
                        + " different revoke request (workflow " + row.workflowId() + ")");
              }
              return result(h, row, row.workflowId());
            }
          }

          // The matched keys are locked first, in id order: the revocation's seq is then taken
          // after every earlier change to these keys has committed, so "the oldest revocation
          // remembers the key's own state" holds, and the statement below reads what they left.
          h.createQuery(
                  "select count(*) from (select id from api_key where deleted_at is null and ("
                      + condition.sql() + ") order by id for update) locked")
              .bindMap(condition.params())
              .mapTo(Long.class)
              .one();
          String revocationId = ApiKeyIds.newId(REVOCATION_ID_PREFIX);
          h.createUpdate(
                  "insert into apikeys_revocation (id, idempotency_key, request_fingerprint,"
                      + " workflow_id, workflow_run_id, revoked_by, scheduled_at, status, key_count,"
                      + " request_id, transaction_id, run_id, event_group_id,"
                      + " parent_step_idempotency_key, canceling_from_parent_step, hold_events)"
                      + " values (:id, :key, :fingerprint, :workflowId, :runId, :by, :at,"
                      + " 'scheduled', 0, :requestId, :transactionId, :ctxRunId, :eventGroupId,"
                      + " :parentKey, :fromParent, :hold)")
              .bind("id", revocationId)
              .bind("key", ctx.idempotencyKey())
              .bind("fingerprint", fingerprint)
              .bind("workflowId", command.workflowId())
              .bind("runId", command.workflowRunId())
              .bind("by", request.revokedBy())
              .bind("at", command.scheduledAt())
              .bind("requestId", ctx.requestId())
              .bind("transactionId", ctx.transactionId())
              .bind("ctxRunId", ctx.runId())
              .bind("eventGroupId", ctx.eventGroupId())
              .bind("parentKey", ctx.parentStepIdempotencyKey())
              .bind("fromParent", ctx.fromParentStep())
              .bind("hold", ctx.holdsEvents())
              .execute();
          // One pass over the matched keys: remember them with their prior state, move their
          // instant, and count what Medusa refuses. No FOR UPDATE: the update locks what it
          // changes and re-checks each row's latest version, which is all monotonicity needs,
          // and a key's base state is taken from its oldest revocation, not from this snapshot.
          int[] counts =
              h.createQuery(
                      "with matched as (select id, type, revoked_at, revoked_by from api_key"
                          + "   where deleted_at is null and (" + condition.sql() + ")),"
                          + " remembered as (insert into apikeys_revocation_key"
                          + "   (revocation_id, api_key_id, prior_revoked_at, prior_revoked_by)"
                          + "   select :rid, id, revoked_at, revoked_by from matched),"
                          + " moved as (update api_key k set revoked_at = :at, revoked_by = :by,"
                          + "   updated_at = now() from matched m where k.id = m.id"
                          + "   and (k.revoked_at is null or k.revoked_at > :at))"
                          + " select count(*) as matched, count(*) filter (where type = 'secret'"
                          + "   and revoked_at <= now()) as revoked_secret from matched")
                  .bindMap(condition.params())
                  .bind("rid", revocationId)
                  .bind("at", command.scheduledAt())
                  .bind("by", request.revokedBy())
                  .map((rs, statement) -> new int[] {rs.getInt("matched"), rs.getInt("revoked_secret")})
                  .one();
          int keyCount = counts[0];
          if (request.singleKey() && keyCount == 0) {
            throw ApiKeyException.notFound("ApiKey with id \"" + request.id() + "\" not found");
          }
          if (counts[1] > 0) {
            // Medusa's message, word for word; the exception rolls back everything above.
            throw ApiKeyException.invalidData(
                "There are " + counts[1] + " secret keys that are already revoked.");
          }
          h.createUpdate("update apikeys_revocation set key_count = :n where id = :rid")
              .bind("n", keyCount)
              .bind("rid", revocationId)
              .execute();
          return result(h, lock(h, revocationId), null);
        });
  }

  /** See {@code RevocationActivities#stamp}. */
  public RevokeResult stamp(String revocationId, Instant now) {
    return jdbi.inTransaction(
        h -> {
          RevocationRow row = lock(h, revocationId);
          if (row.state() != RevocationState.SCHEDULED || row.scheduledAt().isAfter(now)) {
            return result(h, row, null);
          }
          h.createUpdate(APPLY_INSTANT)
              .bind("rid", revocationId)
              .bind("at", row.scheduledAt())
              .bind("by", row.revokedBy())
              .execute();
          outbox.recordRevoked(h, revocationId, row.holdEvents());
          h.createUpdate(
                  "update apikeys_revocation set status = 'revoked', completed_at = now(),"
                      + " updated_at = now() where id = :rid")
              .bind("rid", revocationId)
              .execute();
          return result(h, lock(h, revocationId), null);
        });
  }

  /** See {@code RevocationActivities#cancel}. */
  public RevokeResult cancel(String revocationId) {
    return jdbi.inTransaction(
        h -> {
          RevocationRow row = lock(h, revocationId);
          if (row.state() != RevocationState.SCHEDULED) {
            return result(h, row, null);
          }
          recompute(h, row, row.scheduledAt(), null);
          h.createUpdate(
                  "update apikeys_revocation set status = 'cancelled', completed_at = now(),"
                      + " updated_at = now() where id = :rid")
              .bind("rid", revocationId)
              .execute();
          return result(h, lock(h, revocationId), null);
        });
  }

  /** See {@code RevocationActivities#reschedule}. */
  public RevokeResult reschedule(String revocationId, Instant scheduledAt) {
    return jdbi.inTransaction(
        h -> {
          RevocationRow row = lock(h, revocationId);
          if (row.state() != RevocationState.SCHEDULED) {
            throw ApiKeyException.notAllowed(
                "revocation " + revocationId + " is " + row.status()
                    + "; it can no longer be rescheduled");
          }
          recompute(h, row, row.scheduledAt(), scheduledAt);
          h.createUpdate(
                  "update apikeys_revocation set scheduled_at = :at, updated_at = now()"
                      + " where id = :rid")
              .bind("at", scheduledAt)
              .bind("rid", revocationId)
              .execute();
          return result(h, lock(h, revocationId), null);
        });
  }

  /** The revocation as it stands, with at most the first thousand of its keys. */
  public RevokeResult describe(String revocationId) {
    return jdbi.inTransaction(h -> result(h, lock(h, revocationId), null));
  }

  /** Every key of a revocation, for callers that need more than the result's first thousand. */
  public List<ApiKeyDTO> keys(String revocationId) {
    return jdbi.withHandle(h -> keys(h, revocationId, Integer.MAX_VALUE));
  }

  /** A revocation's keys as they are now, by id, at most {@code limit} of them. */
  private static List<ApiKeyDTO> keys(Handle h, String revocationId, int limit) {
    return h.createQuery(
            "select " + prefixed("k.") + " from api_key k"
                + " join apikeys_revocation_key rk on rk.api_key_id = k.id"
                + " where rk.revocation_id = :rid order by k.id limit :limit")
        .bind("rid", revocationId)
        .bind("limit", limit)
        .mapTo(ApiKeyRow.class)
        .map(ApiKeyRow::toDto)
        .list();
  }

  private static void recompute(Handle h, RevocationRow row, Instant beforeAt, Instant afterAt) {
    h.createQuery(LOCK_REVOCATION_KEYS).bind("rid", row.id()).mapTo(Long.class).one();
    h.createUpdate(RECOMPUTE)
        .bind("rid", row.id())
        .bind("seq", row.seq())
        .bind("by", row.revokedBy())
        .bind("beforeAt", beforeAt)
        .bind("afterAt", afterAt)
        .execute();
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

  private static RevokeResult result(Handle h, RevocationRow row, String duplicateOf) {
    var keys = keys(h, row.id(), RevokeResult.MAX_INLINE_KEYS);
    return new RevokeResult(
        row.id(), row.workflowId(), row.state(), row.revokedBy(), row.scheduledAt(),
        row.keyCount(), row.keyCount() > RevokeResult.MAX_INLINE_KEYS, keys, duplicateOf, null);
  }

  private static String prefixed(String alias) {
    return alias + ApiKeyRow.COLUMNS.replace(", ", ", " + alias);
  }

  /**
   * A digest of what the request asks for (which keys, by whom, how soon), with the selector's
   * object keys sorted so that the same selector written in another order is the same request.
   */
  static String fingerprint(ValidRevokeRequest request) {
    ObjectNode canonical = ApiKeysJson.newObjectMapper().createObjectNode();
    if (request.singleKey()) {
      canonical.put("id", request.id());
    } else {
      canonical.set("selector", sorted(request.selector()));
    }
    canonical.put("revoked_by", request.revokedBy());
    canonical.put("revoke_in", request.revokeInSeconds());
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }

  private static JsonNode sorted(JsonNode node) {
    if (node.isObject()) {
      TreeMap<String, JsonNode> fields = new TreeMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        fields.put(e.getKey(), sorted(e.getValue()));
      }
      ObjectNode out = ApiKeysJson.newObjectMapper().createObjectNode();
      fields.forEach(out::set);
      return out;
    }
    if (node.isArray()) {
      var out = ApiKeysJson.newObjectMapper().createArrayNode();
      node.forEach(child -> out.add(sorted(child)));
      return out;
    }
    return node;
  }
}
