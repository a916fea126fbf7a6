-- Key rotations: each old key gets one successor (same title, type and created_by); the old key is
-- then revoked after a grace period by a child RevokeApiKeysWorkflow.
create table if not exists apikeys_rotation (
  id text primary key,
  workflow_id text not null unique,
  rotated_by text not null,
  grace_seconds bigint not null,
  status text not null check (status in ('planned', 'created')),
  key_count integer not null,
  created_at timestamptz not null default now(),
  completed_at timestamptz null
);

create table if not exists apikeys_rotation_key (
  rotation_id text not null references apikeys_rotation (id) on delete cascade,
  old_key_id text not null,
  new_key_id text not null unique,
  key_type text not null,
  primary key (rotation_id, old_key_id)
);

-- A key is rotated at most once (afterwards it is revoked or about to be), so one
-- api_key.rotated event per old key, however often a step is retried.
create unique index if not exists apikeys_event_rotated_once
  on apikeys_event (api_key_id) where name = 'api_key.rotated';
