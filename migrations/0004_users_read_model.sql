-- Read model of the `users` projection. Rebuildable from the log (filament replay).
CREATE TABLE users (
  user_id text PRIMARY KEY,
  username text NOT NULL UNIQUE,
  about_markdown text NOT NULL DEFAULT '',
  about_markdown_tokens text NOT NULL DEFAULT '[]',
  avatar_version bigint NOT NULL DEFAULT 0,
  banner_version bigint NOT NULL DEFAULT 0,
  registered_at_unix bigint NOT NULL
);
