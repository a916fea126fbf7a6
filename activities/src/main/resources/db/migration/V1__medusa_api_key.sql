-- Medusa 2.x's api_key table, as its API key module's migrations leave it. Every statement is
-- guarded by IF NOT EXISTS so that pointing apikeys at a database where Medusa already created the
-- table changes none of its rows and none of its definitions.
create table if not exists "api_key" (
  "id" text not null,
  "token" text not null,
  "salt" text not null,
  "redacted" text not null,
  "title" text not null,
  "type" text check ("type" in ('publishable', 'secret')) not null,
  "last_used_at" timestamptz null,
  "created_by" text not null,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  "revoked_by" text null,
  "revoked_at" timestamptz null,
  "deleted_at" timestamptz null,
  constraint "api_key_pkey" primary key ("id")
);

-- Columns that later Medusa migrations added; a table created by an older Medusa gains them.
alter table "api_key" add column if not exists "updated_at" timestamptz not null default now();
alter table "api_key" add column if not exists "deleted_at" timestamptz null;

create unique index if not exists "IDX_api_key_token_unique" on "api_key" (token);
create index if not exists "IDX_api_key_type" on "api_key" (type);
create index if not exists "IDX_api_key_deleted_at" on "api_key" (deleted_at) where deleted_at is null;
create index if not exists "IDX_api_key_revoked_at" on "api_key" (revoked_at) where deleted_at is null;
create index if not exists "IDX_api_key_redacted" on "api_key" (redacted) where deleted_at is null;
