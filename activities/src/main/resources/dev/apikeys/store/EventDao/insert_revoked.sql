-- One api_key.revoked event per key of revocation :rid, in key order, with an id derived from the
-- revocation and the key. The data is {"id"}, plus "reason" when the revocation's request gave one
-- (e.g. "leaked"), so a consumer can tell a leaked key's revocation from routine ones. With :hold
-- the events wait for their group's release; otherwise they are released here, numbered in key
-- order under the release lock the caller holds.
insert into apikeys_event (id, name, api_key_id, revocation_id, data, event_group_id, request_id,
  transaction_id, run_id, idempotency_key, released_at, release_seq)
select 'evt_' || md5(x.id || ':' || x.api_key_id), :name, x.api_key_id, x.id,
  jsonb_strip_nulls(jsonb_build_object('id', x.api_key_id, 'reason', x.reason)),
  x.event_group_id, x.request_id, x.transaction_id, x.run_id, x.idempotency_key,
  case when :hold then null else now() end,
  case when :hold then null else nextval('apikeys_event_release_seq') end
from (
  select rk.api_key_id, r.id, r.event_group_id, r.request_id, r.transaction_id, r.run_id,
    r.idempotency_key, r.reason
  from apikeys_revocation_key rk
  join apikeys_revocation r on r.id = rk.revocation_id
  where r.id = :rid
  order by rk.api_key_id
) x
