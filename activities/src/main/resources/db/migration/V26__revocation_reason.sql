-- Why a revocation was asked for, when the request said (its optional "reason", e.g. "leaked" for
-- a token revoked with `apikeys revoke --leaked-token-stdin`): recorded with the revocation, and
-- added to the data of each of its api_key.revoked events. Null for every revocation made before,
-- and for requests without one. Its length is bounded where requests are parsed.
alter table apikeys_revocation add column if not exists reason text null;
