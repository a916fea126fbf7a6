-- Releases the held events of group :g in the order they were recorded (seq), numbering them under
-- the release lock the caller holds.
update apikeys_event e
set released_at = now(), release_seq = nextval('apikeys_event_release_seq')
from (
  select seq from apikeys_event
  where event_group_id = :g and released_at is null
  order by seq
) held
where e.seq = held.seq
