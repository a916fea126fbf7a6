-- A key's base: what its row held when this project last found it changed by someone else (Medusa,
-- an administrator). Until this version the base was the prior state its oldest revocation
-- recorded, which goes stale as soon as someone else changes the key after that revocation; a
-- cancel then put back a value nobody had written for days. The base now lives in each key's
-- newest apikeys_revocation_key row and is carried forward, or replaced when the row is found
-- changed, by every change this project makes to the key.
alter table apikeys_revocation_key
  add column if not exists base_revoked_at timestamptz null,
  add column if not exists base_revoked_by text null;

-- Rows written before this version get the base of the old rule.
update apikeys_revocation_key rk
set base_revoked_at = oldest.prior_revoked_at, base_revoked_by = oldest.prior_revoked_by
from (
  select distinct on (k.api_key_id) k.api_key_id, k.prior_revoked_at, k.prior_revoked_by
  from apikeys_revocation_key k
  join apikeys_revocation r on r.id = k.revocation_id
  order by k.api_key_id, r.seq
) oldest
where oldest.api_key_id = rk.api_key_id;

-- Who moved or cancelled a revocation, as they said (the `by` of reschedule and revokeNow, the
-- reason of a cancel request).
alter table apikeys_revocation
  add column if not exists cancelled_by text null,
  add column if not exists rescheduled_by text null;
