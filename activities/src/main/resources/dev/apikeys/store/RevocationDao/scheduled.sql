-- Scheduled revocations after :after, by id, at most :limit, with whether each one's instant has
-- passed by the database's clock: what the reconciler pages through.
select id, seq, idempotency_key, request_fingerprint, workflow_id, revoked_by, scheduled_at,
  status, key_count, hold_events, scheduled_at <= now() as due
from apikeys_revocation
where status = 'scheduled' and id > :after
order by id
limit :limit
