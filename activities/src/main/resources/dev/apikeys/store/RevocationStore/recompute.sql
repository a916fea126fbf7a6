-- Recomputes revoked_at/revoked_by of the keys <targets> names, for a change of revocation :rid
-- whose own instant goes from :beforeAt to :afterAt (null: it does not count, before or after).
--
-- The rule: a key carries the earliest of its base and the instants of its revocations that were
-- not cancelled, ties going to the base and then to the older revocation (lower seq); with no
-- instant at all, its base. The base is what the row held when this project last found it
-- changed by someone else: wherever the row differs from what the rule gave before this change,
-- the row itself becomes the base. So no change made here ever makes a key's revoked_at later than,
-- or NULL instead of, a value this project did not write.
--
-- The base lives in the key's newest apikeys_revocation_key row (by revocation seq). With
-- :scheduling, :rid is a new revocation: its rows are inserted here, carrying the base forward.
-- Otherwise a base found changed is written back into the row that holds it.
--
-- The caller has locked the target keys in id order, so the revocations read for them cannot
-- change under this statement. At READ COMMITTED this statement's snapshot is taken after those
-- locks, so it sees every change made under them; SERIALIZABLE detects a stale read by itself.
-- Only REPEATABLE READ keeps a snapshot from before the locks: there <shareLocks> locks the rows
-- read, which fails the transaction (to be retried) if another has changed them since.
with target as (
  select k.id, k.type, k.revoked_at, k.revoked_by
  from api_key k
  where k.id in (<targets>)
),
known as (
  select t.*,
    b.revocation_id as base_holder, b.base_revoked_at, b.base_revoked_by,
    o.scheduled_at as other_at, o.revoked_by as other_by, o.seq as other_seq
  from target t
  -- The row that holds the base.
  left join lateral (
    select rk.revocation_id, rk.base_revoked_at, rk.base_revoked_by
    from apikeys_revocation_key rk
    join apikeys_revocation r on r.id = rk.revocation_id
    where rk.api_key_id = t.id
    order by r.seq desc
    limit 1
    <shareLocks>
  ) b on true
  -- The earliest other revocation that still counts.
  left join lateral (
    select r.scheduled_at, r.revoked_by, r.seq
    from apikeys_revocation_key rk
    join apikeys_revocation r on r.id = rk.revocation_id
    where rk.api_key_id = t.id and r.id <> :rid and r.status <> 'cancelled'
    order by r.scheduled_at, r.seq
    limit 1
    <shareLocks>
  ) o on true
),
expected as (
  select k.*, w.at as before_at,
    case when w.at is null then k.base_revoked_by else w.by end as before_by
  from known k
  left join lateral (
    select v.at, v.by
    from (values
      (k.base_revoked_at, k.base_revoked_by, cast(0 as bigint)),
      (k.other_at, k.other_by, k.other_seq),
      (cast(:beforeAt as timestamptz), cast(:by as text), cast(:seq as bigint))
    ) v(at, by, seq)
    where v.at is not null
    order by v.at, v.seq
    limit 1
  ) w on true
),
rebased as (
  select e.*,
    (e.base_holder is null
      or e.revoked_at is distinct from e.before_at
      or e.revoked_by is distinct from e.before_by) as changed_outside
  from expected e
),
based as (
  select r.*,
    case when r.changed_outside then r.revoked_at else r.base_revoked_at end as new_base_at,
    case when r.changed_outside then r.revoked_by else r.base_revoked_by end as new_base_by
  from rebased r
),
plan as (
  select b.*, w.at as after_at, case when w.at is null then b.new_base_by else w.by end as after_by
  from based b
  left join lateral (
    select v.at, v.by
    from (values
      (b.new_base_at, b.new_base_by, cast(0 as bigint)),
      (b.other_at, b.other_by, b.other_seq),
      (cast(:afterAt as timestamptz), cast(:by as text), cast(:seq as bigint))
    ) v(at, by, seq)
    where v.at is not null
    order by v.at, v.seq
    limit 1
  ) w on true
),
remembered as (
  insert into apikeys_revocation_key
    (revocation_id, api_key_id, prior_revoked_at, prior_revoked_by, base_revoked_at,
     base_revoked_by)
  select :rid, p.id, p.revoked_at, p.revoked_by, p.new_base_at, p.new_base_by
  from plan p
  where :scheduling
),
rewritten as (
  update apikeys_revocation_key rk
  set base_revoked_at = p.new_base_at, base_revoked_by = p.new_base_by
  from plan p
  where not :scheduling and p.changed_outside
    and rk.revocation_id = p.base_holder and rk.api_key_id = p.id
),
moved as (
  update api_key k
  set revoked_at = p.after_at, revoked_by = p.after_by, updated_at = now()
  from plan p
  where k.id = p.id
    and (k.revoked_at is distinct from p.after_at or k.revoked_by is distinct from p.after_by)
  returning k.id
)
-- What the caller decides on: how many keys, and how many of them are secret keys that were
-- already revoked when this began (Medusa refuses to revoke those; the caller then rolls back).
select
  count(*) as matched,
  count(*) filter (where p.type = 'secret' and p.revoked_at <= now()) as revoked_secret,
  (select count(*) from moved) as moved
from plan p
