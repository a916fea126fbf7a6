-- One api_key.rotated event per rotated key of rotation :rotation that got a successor, released
-- at once. It carries the sealed token: a recipient service that follows the outbox gets its new
-- tokens there, as it would from the workflow's result. The id is 'evt_' and 32 hex digits, made
-- here; a retried step finds the key's event there and adds none.
insert into apikeys_event (id, name, api_key_id, data, released_at, release_seq)
select 'evt_' || replace(cast(gen_random_uuid() as text), '-', ''), :name, rk.old_key_id,
  jsonb_build_object('id', rk.old_key_id, 'successor_id', rk.new_key_id,
    'rotation_id', rk.rotation_id, 'recipient', r.recipient_name,
    'sealed_token', rk.sealed_token),
  now(), nextval('apikeys_event_release_seq')
from apikeys_rotation_key rk
join apikeys_rotation r on r.id = rk.rotation_id
where rk.rotation_id = :rotation and rk.sealed_token is not null
order by rk.old_key_id
on conflict (api_key_id) where name = 'api_key.rotated' do nothing
