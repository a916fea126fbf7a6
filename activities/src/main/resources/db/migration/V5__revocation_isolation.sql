-- The shared context's isolationLevel, recorded with the revocation: every transaction the
-- revocation opens itself (schedule, stamp, cancel, reschedule) runs at it. Null: the database's
-- default.
alter table apikeys_revocation
  add column if not exists isolation_level text null
    check (isolation_level in ('READ UNCOMMITTED', 'READ COMMITTED', 'REPEATABLE READ',
      'SERIALIZABLE'));
