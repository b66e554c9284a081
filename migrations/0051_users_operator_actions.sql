-- Read model of the `users` projection: operator actions on accounts recorded on
-- "server:main" (ADR 0066). Rebuildable.
-- Accounts an operator locked (UserLocked, removed by UserUnlocked): AuthService refuses their
-- login, refresh and access tokens.
CREATE TABLE locked_users (
  user_id text PRIMARY KEY,
  reason text,
  locked_at_unix bigint NOT NULL
);

-- The latest password reset of a user (UserPasswordReset): the credential store promotes a
-- pending hash only when its reset id is the one recorded here, and access tokens issued
-- before reset_at_unix are refused.
CREATE TABLE password_resets (
  user_id text PRIMARY KEY,
  reset_id text NOT NULL,
  reset_at_unix bigint NOT NULL
);
