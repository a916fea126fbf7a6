-- Whether an instant (at, seq) comes before another in the order a key's revocations are weighed
-- in: earlier instants first, ties to the lower seq (a key's own base has seq 0), no instant
-- (null) last. Written once here so the recompute statement reads as its rule; a plain SQL
-- function, inlined by the planner.
create or replace function apikeys_first(
    a_at timestamptz, a_seq bigint, b_at timestamptz, b_seq bigint)
  returns boolean
  language sql
  immutable
as $$
  select a_at is not null and (b_at is null or a_at < b_at or (a_at = b_at and a_seq < b_seq))
$$;

-- The outbox takes one api_key.revoked row per key of every stamped revocation, 100,000 at a time
-- for a large one, so each row is kept cheap to insert: no unique index on a random id (an event's
-- id is derived from its revocation and key, unique by construction) and none on (name,
-- revocation, key), whose once-only rule the stamp keeps itself (it writes events only in the
-- transaction that moves its revocation from scheduled to revoked, under that row's lock).
alter table apikeys_event drop constraint if exists apikeys_event_once;
alter table apikeys_event drop constraint if exists apikeys_event_id_key;
