-- Up Migration

-- API keys (issue 4). Only an HMAC of each key is stored: a leaked table (or backup) does not leak usable keys,
-- and without the pepper (which lives outside the database) the hashes cannot be brute-forced offline.
CREATE TABLE api_keys (
  -- The 8-character public id inside the key (`aegis_<id>_<secret>`): lookups by id, then a constant-time compare.
  id           text PRIMARY KEY CHECK (id ~ '^[a-z0-9]{8}$'),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- HMAC-SHA256(pepper, full key), hex.
  key_hash     char(64) NOT NULL,
  roles        text[] NOT NULL CHECK (cardinality(roles) >= 1 AND roles <@ ARRAY['ingest', 'read', 'admin']::text[]),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);

-- Who did what, when, from where, and with what outcome: every mutation and admin action of the HTTP API.
CREATE TABLE audit_log (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT now(),
  -- NULL when the caller was not authenticated (the outcome is then 401/403/429).
  key_id     text,
  key_name   text,
  -- e.g. `document.ingest`, `document.delete`, `admin.login`, or `METHOD /route/pattern`.
  action     text NOT NULL,
  -- The document id, key id, queue or path acted on, when there is one.
  target     text,
  ip         text,
  user_agent text,
  -- The HTTP status the caller received.
  status     integer NOT NULL,
  details    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_key_id_idx ON audit_log (key_id, at) WHERE key_id IS NOT NULL;

-- Down Migration
DROP TABLE audit_log;
DROP TABLE api_keys;
