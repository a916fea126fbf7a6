-- A revocation's keys as they are now, by id, after :afterId: the result lists them in pages
-- until its byte budget is spent.
select k.id, k.token, k.salt, k.redacted, k.title, k.type, k.last_used_at, k.created_by,
  k.created_at, k.updated_at, k.revoked_by, k.revoked_at, k.deleted_at
from apikeys_revocation_key rk
join api_key k on k.id = rk.api_key_id
where rk.revocation_id = :rid and k.id > :afterId
order by k.id
limit :limit
