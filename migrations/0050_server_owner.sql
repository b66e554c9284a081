-- Read model of the `users` projection: the server owner recorded on the log by
-- `filament admin make-owner` (ServerOwnerChanged on "server:main", ADR 0066). Rebuildable.
-- FILAMENT_SERVER_OWNER_USER_ID, when set, wins over this row.
CREATE TABLE server_owner (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  owner_user_id text NOT NULL,
  changed_at_unix bigint NOT NULL
);

-- `filament admin list-users` pages the users by name.
CREATE INDEX IF NOT EXISTS users_by_username ON users (username);
