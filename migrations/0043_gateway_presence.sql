-- Gateway presence across processes (ADR 0057). Ephemeral, not a read model and not the log:
-- UNLOGGED (no WAL; emptied after a PostgreSQL crash, which every gateway repairs on its next
-- heartbeat). One row per running gateway process, renewed every heartbeat; a process whose
-- expires_at passed is dead, its leases no longer count and the next sweep deletes both.
CREATE UNLOGGED TABLE gateway_presence_instances (
  instance_id text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);

-- One row per (process, guild, user) with at least one present connection of the user in the
-- guild on that process; guild_id '' = "has at least one connection" (the user-gone hook).
CREATE UNLOGGED TABLE gateway_presence_leases (
  instance_id text NOT NULL,
  guild_id text NOT NULL,
  user_id text NOT NULL,
  PRIMARY KEY (instance_id, guild_id, user_id)
);
CREATE INDEX gateway_presence_leases_guild ON gateway_presence_leases (guild_id, user_id);
