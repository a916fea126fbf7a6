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
import org.jdbi.v3.core.mapper.RowMapper;

/**
 * The {@code apikeys_event} outbox. Events are written in the same transaction as the change they
 * describe. Consumers read released events in {@code release_seq} order from a cursor they keep
 * ({@link #readAfter}), and can {@code LISTEN apikeys_events} to learn when to read again: every
 * release sends a notification whose payload is the highest {@code release_seq} it assigned.
 */
public final class EventOutbox {
  public static final String CHANNEL = "apikeys_events";

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

  /** Reads an event row; its data arrives as text and is parsed here. */
  static final RowMapper<Event> EVENT_MAPPER =
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
              rs.getTimestamp("released_at").toInstant());

  /**
   * Records one {@code api_key.revoked} per key of the revocation (see {@code
   * EventDao/insert_revoked.sql}). Called once per revocation: by the stamp, in the transaction
   * that moves it from scheduled to revoked under that row's lock, so a retried stamp finds it
   * revoked and records nothing. Held events wait for their group's release.
   */
  void recordRevoked(Handle h, String revocationId, boolean hold) {
    EventDao events = h.attach(EventDao.class);
    if (!hold) {
      events.lockRelease(RELEASE_LOCK);
    }
    events.insertRevoked(RevocationStore.EVENT_REVOKED, revocationId, hold);
    if (!hold) {
      events.notifyConsumers(CHANNEL);
    }
  }

  /**
   * Records one event about a revocation as a whole (cancelled, rescheduled; see {@code
   * EventDao/insert_change.sql}), held like the revocation's other events when it holds them.
   */
  void recordChange(Handle h, String name, String revocationId, String by, Instant scheduledAt) {
    EventDao events = h.attach(EventDao.class);
    boolean hold = events.holdsEvents(revocationId);
    if (!hold) {
      events.lockRelease(RELEASE_LOCK);
    }
    events.insertChange(name, revocationId, by, scheduledAt, hold);
    if (!hold) {
      events.notifyConsumers(CHANNEL);
    }
  }

  /** Releases the held events of a group, in the order they were recorded; returns how many. */
  public int releaseGroup(Jdbi jdbi, String eventGroupId) {
    return jdbi.inTransaction(
        h -> {
          EventDao events = h.attach(EventDao.class);
          events.lockRelease(RELEASE_LOCK);
          int released = events.releaseGroup(eventGroupId);
          if (released > 0) {
            events.notifyConsumers(CHANNEL);
          }
          return released;
        });
  }

  /** Released events after the cursor, oldest first. */
  public List<Event> readAfter(Jdbi jdbi, long cursor, int limit) {
    return jdbi.withExtension(EventDao.class, events -> events.readAfter(cursor, limit));
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("apikeys_event.data holds JSON by construction", e);
    }
  }
}
