-- One event about revocation :rid as a whole (cancelled, rescheduled): its data names the
-- revocation, who made the change (:by), the key count and, for a move, the new instant (:at). The
-- id is 'evt_' and 32 hex digits, made here. With :hold the event waits for its group's release;
-- otherwise it is released here, under the release lock the caller holds.
insert into apikeys_event (id, name, api_key_id, revocation_id, data, event_group_id, request_id,
  transaction_id, run_id, idempotency_key, released_at, release_seq)
select 'evt_' || replace(cast(gen_random_uuid() as text), '-', ''), :name, null, r.id,
  jsonb_strip_nulls(jsonb_build_object('revocation_id', r.id, 'by', cast(:by as text),
    'key_count', r.key_count, 'scheduled_at', cast(:at as timestamptz))),
  r.event_group_id, r.request_id, r.transaction_id, r.run_id, r.idempotency_key,
  case when :hold then null else now() end,
  case when :hold then null else nextval('apikeys_event_release_seq') end
from apikeys_revocation r
where r.id = :rid
