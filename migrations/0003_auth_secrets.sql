-- Secrets and security state that must never enter the log (DESIGN.md §2): password hashes,
-- refresh-token hashes and signing keys live here, where they can be erased. None of these
-- tables is a projection: replay neither reads nor rebuilds them.
CREATE TABLE credentials (
  user_id text PRIMARY KEY,
  username text NOT NULL UNIQUE,        -- the uniqueness claim, shared by every API process
  password_hash text NOT NULL,          -- encoded Argon2id
  failed_attempts integer NOT NULL DEFAULT 0,
  locked_until_unix bigint NOT NULL DEFAULT 0,
  claimed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE auth_sessions (
  session_id text PRIMARY KEY,
  user_id text NOT NULL,
  token_hash text NOT NULL,             -- SHA-256 of the current refresh token
  expires_at_unix bigint NOT NULL,
  revoked boolean NOT NULL DEFAULT false,
  created_at_unix bigint NOT NULL
);
CREATE INDEX auth_sessions_user ON auth_sessions (user_id);

CREATE TABLE auth_used_refresh_tokens (
  token_hash text PRIMARY KEY,
  session_id text NOT NULL REFERENCES auth_sessions (session_id) ON DELETE CASCADE,
  used_at_unix bigint NOT NULL
);

-- PASETO v4.local keys. Tokens carry the key id in their footer, so a key can be rotated by
-- adding a new active key while old ones still verify until their tokens expire.
CREATE TABLE token_keys (
  kid text PRIMARY KEY,
  key_material text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  active boolean NOT NULL DEFAULT true
);
