-- Locks the keys <targets> names, in id order, the one order every change here takes them in, so
-- two changes that share a key run one after the other and the second reads what the first
-- committed (READ COMMITTED gives each later statement a fresh snapshot).
select count(*) from (
  select k.id from api_key k where k.id in (<targets>) order by k.id for update of k
) locked
