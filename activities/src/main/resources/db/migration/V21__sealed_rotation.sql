-- Rotation hands out new tokens only sealed to a recipient's public key (HPKE, X25519): the
-- rotation records whom it sealed them to, and each successor's sealed token is kept so that a
-- retried or re-run rotation returns the same sealed token instead of minting another key. The
-- raw tokens are stored nowhere (a secret one only as its hash, in api_key).
alter table apikeys_rotation add column if not exists recipient_name text null;
alter table apikeys_rotation add column if not exists recipient_public_key text null;
alter table apikeys_rotation_key add column if not exists sealed_token jsonb null;
