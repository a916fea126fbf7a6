-- A page of a revocation's keys, by id, after :afterId: the revocation's own rows give the ids (in
-- the order of their primary key, whatever the table's statistics), then each key is read as it
-- is now. A key deleted since (Medusa deletes revoked keys) comes back with no row.
select p.api_key_id as page_id, k.id, k.token, k.salt, k.redacted, k.title, k.type,
  k.last_used_at, k.created_by, k.created_at, k.updated_at, k.revoked_by, k.revoked_at,
  k.deleted_at
from (
  select rk.api_key_id
  from apikeys_revocation_key rk
  where rk.revocation_id = :rid and rk.api_key_id > :afterId
  order by rk.api_key_id
  limit :limit
) p
left join api_key k on k.id = p.api_key_id
order by p.api_key_id
