-- Read models of the `guilds` projection: workspaces, roles, members, channels, overrides.
-- Rebuildable from the log (filament replay); every column is derived from events only.
CREATE TABLE guilds (
  guild_id text PRIMARY KEY,
  name text NOT NULL,
  name_lower text NOT NULL,             -- for the case-insensitive directory search
  visibility text NOT NULL CHECK (visibility IN ('private', 'public')),
  creator_user_id text NOT NULL,
  everyone_role_id text NOT NULL,
  owner_role_id text NOT NULL,
  moderator_role_id text NOT NULL,
  member_role_id text NOT NULL,
  default_join_role_id text,
  created_at_unix bigint NOT NULL
);
CREATE INDEX guilds_public_newest ON guilds (guild_id DESC) WHERE visibility = 'public';

CREATE TABLE guild_roles (
  guild_id text NOT NULL,
  role_id text NOT NULL,
  name text NOT NULL,
  position integer NOT NULL,
  is_system boolean NOT NULL,
  system_key text NOT NULL DEFAULT '',
  permissions bigint NOT NULL,
  color_hex text,
  created_at_unix bigint NOT NULL,
  PRIMARY KEY (guild_id, role_id)
);

CREATE TABLE guild_members (
  guild_id text NOT NULL,
  user_id text NOT NULL,
  legacy_role text NOT NULL CHECK (legacy_role IN ('owner', 'moderator', 'member')),
  joined_at_unix bigint NOT NULL,
  PRIMARY KEY (guild_id, user_id)
);
CREATE INDEX guild_members_by_user ON guild_members (user_id, guild_id);

CREATE TABLE guild_role_assignments (
  guild_id text NOT NULL,
  user_id text NOT NULL,
  role_id text NOT NULL,
  PRIMARY KEY (guild_id, user_id, role_id)
);

CREATE TABLE guild_bans (
  guild_id text NOT NULL,
  user_id text NOT NULL,
  banned_at_unix bigint NOT NULL,
  PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE channels (
  channel_id text PRIMARY KEY,
  guild_id text NOT NULL,
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('text', 'voice')),
  created_at_unix bigint NOT NULL
);
CREATE INDEX channels_by_guild ON channels (guild_id, channel_id);

CREATE TABLE channel_overrides (
  channel_id text NOT NULL,
  target_kind text NOT NULL CHECK (target_kind IN ('role', 'member')),
  target_id text NOT NULL,
  allow_bits bigint NOT NULL,
  deny_bits bigint NOT NULL,
  PRIMARY KEY (channel_id, target_kind, target_id)
);
