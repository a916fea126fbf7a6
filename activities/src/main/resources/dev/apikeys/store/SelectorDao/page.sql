-- A page of the keys a caller's selector matches. <condition> is the compiled selector, its values
-- bound parameters; <orderBy> is built from field names the store allows and ends with id, so
-- pages do not overlap; <window> is empty or limits the page with :take and :skip.
select id, token, salt, redacted, title, type, last_used_at, created_by, created_at, updated_at,
  revoked_by, revoked_at, deleted_at
from api_key
where deleted_at is null and (<condition>)
order by <orderBy>
<window>
