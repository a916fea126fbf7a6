-- Locks the keys <targets> names, in id order, the one order every change here takes them in, so
-- two changes that share a key run one after the other and the second reads what the first
-- committed (READ COMMITTED gives each later statement a fresh snapshot). Counts them as it goes,
-- from their locked (latest) versions: how many, and how many are secret keys already revoked,
-- which Medusa refuses to revoke again.
select
  count(*) as matched,
  count(*) filter (where locked.type = 'secret' and locked.revoked_at <= now()) as revoked_secret
from (
  select k.id, k.type, k.revoked_at
  from api_key k
  where k.id in (<targets>)
  order by k.id
  for update of k
) locked
