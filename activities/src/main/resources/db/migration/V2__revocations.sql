-- The project's own tables, beside Medusa's api_key. They never reference api_key by foreign key:
-- Medusa hard-deletes revoked keys, and the record of a revocation must outlive them.

-- One row per revocation that was scheduled. The key set lives in apikeys_revocation_key, not in
-- workflow history.
create table if not exists apikeys_revocation (
  id text primary key,
  seq bigserial not null unique,
  idempotency_key text null unique,
  request_fingerprint text not null,
  workflow_id text not null,
  workflow_run_id text not null unique,
  revoked_by text not null,
  scheduled_at timestamptz not null,
  status text not null check (status in ('scheduled', 'revoked', 'cancelled')),
  key_count integer not null,
  request_id text null,
  transaction_id text null,
  run_id text null,
  event_group_id text null,
  parent_step_idempotency_key text null,
  canceling_from_parent_step boolean not null default false,
  hold_events boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  completed_at timestamptz null
);
create index if not exists apikeys_revocation_workflow_idx on apikeys_revocation (workflow_id);

-- The keys a revocation covers, with each key's revoked_at/revoked_by as they were just before
-- this revocation scheduled itself, so that cancelling it can put them back.
create table if not exists apikeys_revocation_key (
  revocation_id text not null references apikeys_revocation (id) on delete cascade,
  api_key_id text not null,
  prior_revoked_at timestamptz null,
  prior_revoked_by text null,
  primary key (revocation_id, api_key_id)
);
create index if not exists apikeys_revocation_key_api_key_idx on apikeys_revocation_key (api_key_id);

-- The events outbox. Consumers read released events in release_seq order; held events
-- (preventReleaseEvents) get their release_seq, and so become visible, when their group is
-- released. release_seq is only assigned under one advisory lock, so it grows in commit order and
-- a cursor never skips an event that commits late.
create sequence if not exists apikeys_event_release_seq;
create table if not exists apikeys_event (
  seq bigserial primary key,
  release_seq bigint null unique,
  id text not null unique,
  name text not null,
  api_key_id text null,
  revocation_id text null,
  data jsonb not null,
  event_group_id text null,
  request_id text null,
  transaction_id text null,
  run_id text null,
  idempotency_key text null,
  created_at timestamptz not null default now(),
  released_at timestamptz null,
  constraint apikeys_event_once unique (name, revocation_id, api_key_id)
);
create index if not exists apikeys_event_group_idx on apikeys_event (event_group_id) where released_at is null;
