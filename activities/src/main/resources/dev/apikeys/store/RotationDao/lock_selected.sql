-- The keys a rotation's selector matches, by id, locked until the plan is written. <condition> is
-- the compiled selector; its values are bound parameters. :limit is one more than a rotation may
-- take, so that a selector matching too many is told apart from one matching just enough.
select id, token, salt, redacted, title, type, last_used_at, created_by, created_at, updated_at,
  revoked_by, revoked_at, deleted_at
from api_key
where deleted_at is null and (<condition>)
order by id
limit :limit
for update
