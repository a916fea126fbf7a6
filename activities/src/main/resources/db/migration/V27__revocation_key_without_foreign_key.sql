-- A revocation's key rows are written only by the statement that schedules it, in the transaction
-- that inserted the revocation, and no revocation is ever deleted; the foreign key to
-- apikeys_revocation proved nothing more and cost a lookup of that one row for every key: half a
-- second of a 100,000-key revocation's scheduling (docs/benchmarks.md).
alter table apikeys_revocation_key
  drop constraint if exists apikeys_revocation_key_revocation_id_fkey;
