-- The keys the request's selector matches, as a temporary table of ids that the rest of the
-- schedule step reads. The selector is evaluated once, here, under the statement timeout: a
-- selector that runs past it is the request's fault (INVALID_DATA). Every later statement reads
-- the matched ids, so from here on a wait can only be for a lock, bounded by the lock timeout and
-- retried as a fault. <condition> is the compiled selector; its values are bound parameters.
create temporary table apikeys_matched on commit drop as
select sk.id from api_key sk where sk.deleted_at is null and (<condition>)
