-- IP observations: the side store of client addresses (ADR 0006 extended; NOT a read model,
-- not rebuilt by replay). Events name observations by id only; erasing a user's rows here
-- leaves the log untouched and makes bans on those addresses inert.
CREATE TABLE ip_observations (
  observation_id text PRIMARY KEY,
  user_id text NOT NULL,
  address inet NOT NULL,
  observed_at_unix bigint NOT NULL
);
CREATE INDEX ip_observations_by_user ON ip_observations (user_id, observed_at_unix DESC);
CREATE INDEX ip_observations_by_address ON ip_observations (address);

-- Read model of the `guilds` projection: active guild IP bans (IpBansUpdated), rebuildable.
CREATE TABLE guild_ip_bans (
  ban_id text PRIMARY KEY,
  guild_id text NOT NULL,
  observation_id text NOT NULL,
  source_user_id text,
  reason text,
  created_at_unix bigint NOT NULL,
  expires_at_unix bigint
);
CREATE INDEX guild_ip_bans_newest ON guild_ip_bans (guild_id, created_at_unix DESC, ban_id DESC);
CREATE INDEX guild_ip_bans_by_observation ON guild_ip_bans (observation_id);
