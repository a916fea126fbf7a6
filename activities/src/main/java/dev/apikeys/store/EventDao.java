package dev.apikeys.store;

import java.time.Instant;
import java.util.List;
import org.jdbi.v3.sqlobject.locator.UseClasspathSqlLocator;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * The statements of the {@link EventOutbox}, one a method; the long ones live beside this class, in
 * {@code EventDao/*.sql}. Every statement that assigns {@code release_seq} runs after {@link
 * #lockRelease} in the same transaction, so the numbers follow commit order.
 */
interface EventDao {

  /**
   * Takes the outbox's release lock until the transaction ends. Returns nothing (null); the lock is
   * the point.
   */
  @SqlQuery("select pg_advisory_xact_lock(:lock)")
  String lockRelease(long lock);

  /** Tells listeners on {@code channel} the highest {@code release_seq} so far. */
  @SqlQuery(
      """
      select pg_notify(:channel, cast(coalesce(max(release_seq), 0) as text))
      from apikeys_event""")
  String notifyConsumers(String channel);

  @SqlQuery("select hold_events from apikeys_revocation where id = :rid")
  boolean holdsEvents(String rid);

  @SqlUpdate("insert_revoked")
  @UseClasspathSqlLocator
  void insertRevoked(String name, String rid, boolean hold);

  @SqlUpdate("insert_change")
  @UseClasspathSqlLocator
  void insertChange(String name, String rid, String by, Instant at, boolean hold);

  /** Returns how many events it released. */
  @SqlUpdate("release_group")
  @UseClasspathSqlLocator
  int releaseGroup(String g);

  /** Released events after {@code cursor}, oldest first. */
  @SqlQuery(
      """
      select release_seq, id, name, cast(data as text) as data, event_group_id, request_id,
        transaction_id, run_id, idempotency_key, revocation_id, created_at, released_at
      from apikeys_event
      where release_seq > :cursor
      order by release_seq
      limit :limit""")
  List<EventOutbox.Event> readAfter(long cursor, int limit);
}
