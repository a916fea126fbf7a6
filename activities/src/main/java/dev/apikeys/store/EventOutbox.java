package dev.apikeys.store;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apikeys.model.ApiKeysJson;
import java.time.Instant;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The {@code apikeys_event} outbox. Events are written in the same transaction as the change they
 * describe. Consumers read released events in {@code release_seq} order from a cursor they keep
 * ({@link #readAfter}), and can {@code LISTEN apikeys_events} to learn when to read again: every
 * release sends a notification whose payload is the highest {@code release_seq} it assigned.
 */
public final class EventOutbox {
  public static final String CHANNEL = "apikeys_events";

  /** SQL for a new event id, {@code evt_} and 32 hex digits, made where the row is inserted. */
  static final String NEW_EVENT_ID = "'evt_' || replace(cast(gen_random_uuid() as text), '-', '')";

  private static final ObjectMapper JSON = ApiKeysJson.newObjectMapper();

  /** Taken by every transaction that assigns release_seq, so the numbers follow commit order. */
  private static final long RELEASE_LOCK = 0x61706b6576656e74L;

  /** One event as consumers see it. */
  public record Event(
      @JsonProperty("release_seq") Long releaseSeq,
      @JsonProperty("id") String id,
      @JsonProperty("name") String name,
      @JsonProperty("data") JsonNode data,
      @JsonProperty("event_group_id") String eventGroupId,
      @JsonProperty("request_id") String requestId,
      @JsonProperty("transaction_id") String transactionId,
      @JsonProperty("run_id") String runId,
      @JsonProperty("idempotency_key") String idempotencyKey,
      @JsonProperty("revocation_id") String revocationId,
      @JsonProperty("created_at") Instant createdAt,
      @JsonProperty("released_at") Instant releasedAt) {}

  private static final String EVENT_COLUMNS =
      "release_seq, id, name, cast(data as text) as data, event_group_id, request_id, transaction_id, run_id,"
          + " idempotency_key, revocation_id, created_at, released_at";

  /**
   * Records one {@code api_key.revoked} per key of the revocation, with an id derived from the
   * revocation and the key. Called once per revocation: by the stamp, in the transaction that
   * moves it from scheduled to revoked under that row's lock, so a retried stamp finds it revoked
   * and records nothing. Held events wait for their group's release.
   */
  void recordRevoked(Handle h, String revocationId, boolean hold) {
    if (!hold) {
      lockRelease(h);
    }
    h.createUpdate(
            "insert into apikeys_event (id, name, api_key_id, revocation_id, data, event_group_id,"
                + " request_id, transaction_id, run_id, idempotency_key, released_at, release_seq)"
                + " select 'evt_' || md5(x.id || ':' || x.api_key_id),"
                + " :name, x.api_key_id, x.id, jsonb_build_object('id', x.api_key_id),"
                + " x.event_group_id, x.request_id, x.transaction_id, x.run_id, x.idempotency_key,"
                + " case when :hold then null else now() end,"
                + " case when :hold then null else nextval('apikeys_event_release_seq') end"
                + " from (select rk.api_key_id, r.id, r.event_group_id, r.request_id,"
                + "   r.transaction_id, r.run_id, r.idempotency_key"
                + "   from apikeys_revocation_key rk join apikeys_revocation r"
                + "   on r.id = rk.revocation_id where r.id = :rid order by rk.api_key_id) x")
        .bind("name", RevocationStore.EVENT_REVOKED)
        .bind("rid", revocationId)
        .bind("hold", hold)
        .execute();
    if (!hold) {
      notifyConsumers(h);
    }
  }

  /**
   * Records one event about a revocation as a whole (cancelled, rescheduled): its data names the
   * revocation, who made the change, the key count and, for a move, the new instant. Held like the
   * revocation's other events when it holds them.
   */
  void recordChange(Handle h, String name, String revocationId, String by, Instant scheduledAt) {
    boolean hold =
        h.createQuery("select hold_events from apikeys_revocation where id = :rid")
            .bind("rid", revocationId)
            .mapTo(Boolean.class)
            .one();
    if (!hold) {
      lockRelease(h);
    }
    h.createUpdate(
            "insert into apikeys_event (id, name, api_key_id, revocation_id, data, event_group_id,"
                + " request_id, transaction_id, run_id, idempotency_key, released_at, release_seq)"
                + " select " + NEW_EVENT_ID + ", :name, null, r.id,"
                + " jsonb_strip_nulls(jsonb_build_object('revocation_id', r.id, 'by', cast(:by as text),"
                + "   'key_count', r.key_count, 'scheduled_at', cast(:at as timestamptz))),"
                + " r.event_group_id, r.request_id, r.transaction_id, r.run_id, r.idempotency_key,"
                + " case when :hold then null else now() end,"
                + " case when :hold then null else nextval('apikeys_event_release_seq') end"
                + " from apikeys_revocation r where r.id = :rid")
        .bind("name", name)
        .bind("rid", revocationId)
        .bind("by", by)
        .bind("at", scheduledAt)
        .bind("hold", hold)
        .execute();
    if (!hold) {
      notifyConsumers(h);
    }
  }

  /** Releases the held events of a group, in the order they were recorded; returns how many. */
  public int releaseGroup(Jdbi jdbi, String eventGroupId) {
    return jdbi.inTransaction(
        h -> {
          lockRelease(h);
          int released =
              h.createUpdate(
                      "update apikeys_event e set released_at = now(),"
                          + " release_seq = nextval('apikeys_event_release_seq')"
                          + " from (select seq from apikeys_event where event_group_id = :g"
                          + " and released_at is null order by seq) held where e.seq = held.seq")
                  .bind("g", eventGroupId)
                  .execute();
          if (released > 0) {
            notifyConsumers(h);
          }
          return released;
        });
  }

  /** Released events after the cursor, oldest first. */
  public List<Event> readAfter(Jdbi jdbi, long cursor, int limit) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select " + EVENT_COLUMNS + " from apikeys_event"
                        + " where release_seq > :cursor order by release_seq limit :limit")
                .bind("cursor", cursor)
                .bind("limit", limit)
                .map(
                    (rs, ctx) ->
                        new Event(
                            rs.getLong("release_seq"),
                            rs.getString("id"),
                            rs.getString("name"),
                            parse(rs.getString("data")),
                            rs.getString("event_group_id"),
                            rs.getString("request_id"),
                            rs.getString("transaction_id"),
                            rs.getString("run_id"),
                            rs.getString("idempotency_key"),
                            rs.getString("revocation_id"),
                            rs.getTimestamp("created_at").toInstant(),
                            rs.getTimestamp("released_at").toInstant()))
                .list());
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("apikeys_event.data holds JSON by construction", e);
    }
  }

  private static void lockRelease(Handle h) {
    h.createQuery("select pg_advisory_xact_lock(:lock)")
        .bind("lock", RELEASE_LOCK)
        .mapTo(String.class)
        .one();
  }

  private static void notifyConsumers(Handle h) {
    h.createQuery(
            "select pg_notify('" + CHANNEL + "', cast(coalesce(max(release_seq), 0) as text))"
                + " from apikeys_event")
        .mapTo(String.class)
        .one();
  }
}
