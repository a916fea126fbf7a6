-- A successor key :new for the old key :old, with a token made for it: the old key gives title,
-- type and created_by. An old key deleted since the plan (only a revoked key can be) gets no
-- successor, and a successor that exists already (a retried step) is left as it is.
insert into api_key (id, token, salt, redacted, title, type, created_by)
select :new, :token, :salt, :redacted, k.title, k.type, k.created_by
from api_key k
where k.id = :old
on conflict (id) do nothing
