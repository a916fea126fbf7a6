-- Each successor of rotation :r, by old key id, with its sealed token as text.
select rk.old_key_id, cast(rk.sealed_token as text) as sealed, k.id, k.token, k.salt, k.redacted,
  k.title, k.type, k.last_used_at, k.created_by, k.created_at, k.updated_at, k.revoked_by,
  k.revoked_at, k.deleted_at
from apikeys_rotation_key rk
join api_key k on k.id = rk.new_key_id
where rk.rotation_id = :r
order by rk.old_key_id
