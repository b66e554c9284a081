-- Read model of the `audit` projection: the workspace audit trail (contract §4.9), one row per
-- audited event, derived from the log only (rebuildable with filament replay). No details are
-- stored: the log is the detail.
CREATE TABLE guild_audit (
  audit_id text PRIMARY KEY,          -- the event's id
  guild_id text NOT NULL,
  actor_user_id text NOT NULL,
  target_user_id text,
  action text NOT NULL,
  created_at_unix bigint NOT NULL,
  ip_ban_match boolean NOT NULL
);
CREATE INDEX guild_audit_newest ON guild_audit (guild_id, created_at_unix DESC, audit_id DESC);
