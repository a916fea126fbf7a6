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
-- Every step is set-based, so a key no revocation has touched before (the bulk of a large
-- revocation) costs a hash-join probe, not a lookup of its own.
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
-- What earlier revocations say about the target keys: one row per (key, revocation).
history as (
  select rk.api_key_id, rk.revocation_id, rk.base_revoked_at, rk.base_revoked_by,
    r.seq, r.scheduled_at, r.revoked_by, r.status
  from apikeys_revocation_key rk
  join apikeys_revocation r on r.id = rk.revocation_id
  where rk.api_key_id in (select id from target)
  <shareLocks>
),
-- The row that holds each key's base.
base as (
  select distinct on (api_key_id) api_key_id, revocation_id as holder, base_revoked_at,
    base_revoked_by
  from history
  order by api_key_id, seq desc
),
-- The earliest other revocation that still counts.
other as (
  select distinct on (api_key_id) api_key_id, scheduled_at as at, revoked_by as by, seq
  from history
  where revocation_id <> :rid and status <> 'cancelled'
  order by api_key_id, scheduled_at, seq
),
known as (
  select t.*, b.holder, b.base_revoked_at, b.base_revoked_by,
    o.at as other_at, o.by as other_by, o.seq as other_seq,
    cast(:beforeAt as timestamptz) as own_before, cast(:afterAt as timestamptz) as own_after
  from target t
  left join base b on b.api_key_id = t.id
  left join other o on o.api_key_id = t.id
),
-- What the rule gave before this change; the row differs from it only if someone else wrote.
expected as (
  select k.*,
    case
      when apikeys_first(k.own_before, :seq, k.other_at, k.other_seq)
          and apikeys_first(k.own_before, :seq, k.base_revoked_at, 0) then k.own_before
      when apikeys_first(k.other_at, k.other_seq, k.base_revoked_at, 0) then k.other_at
      else k.base_revoked_at
    end as before_at,
    case
      when apikeys_first(k.own_before, :seq, k.other_at, k.other_seq)
          and apikeys_first(k.own_before, :seq, k.base_revoked_at, 0) then cast(:by as text)
      when apikeys_first(k.other_at, k.other_seq, k.base_revoked_at, 0) then k.other_by
      else k.base_revoked_by
    end as before_by
  from known k
),
based as (
  select e.*,
    (e.holder is null
      or e.revoked_at is distinct from e.before_at
      or e.revoked_by is distinct from e.before_by) as changed_outside
  from expected e
),
rebased as (
  select b.*,
    case when b.changed_outside then b.revoked_at else b.base_revoked_at end as new_base_at,
    case when b.changed_outside then b.revoked_by else b.base_revoked_by end as new_base_by
  from based b
),
plan as (
  select r.*,
    case
      when apikeys_first(r.own_after, :seq, r.other_at, r.other_seq)
          and apikeys_first(r.own_after, :seq, r.new_base_at, 0) then r.own_after
      when apikeys_first(r.other_at, r.other_seq, r.new_base_at, 0) then r.other_at
      else r.new_base_at
    end as after_at,
    case
      when apikeys_first(r.own_after, :seq, r.other_at, r.other_seq)
          and apikeys_first(r.own_after, :seq, r.new_base_at, 0) then cast(:by as text)
      when apikeys_first(r.other_at, r.other_seq, r.new_base_at, 0) then r.other_by
      else r.new_base_by
    end as after_by
  from rebased r
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
    and rk.revocation_id = p.holder and rk.api_key_id = p.id
),
moved as (
  update api_key k
  set revoked_at = p.after_at, revoked_by = p.after_by, updated_at = now()
  from plan p
  where k.id = p.id
    and (k.revoked_at is distinct from p.after_at or k.revoked_by is distinct from p.after_by)
  returning k.id
)
select (select count(*) from plan) as matched, (select count(*) from moved) as moved
