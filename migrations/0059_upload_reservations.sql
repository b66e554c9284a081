-- Upload reservations shared by several `filament api` processes on one database (ADR 0096):
-- bytes of attachment uploads still arriving, per user, so the per-user quota holds when every
-- api process admits uploads. A single writer (`filament serve`) keeps its reservations in
-- memory and never touches this table.
-- A hold belongs to the database session that made it (holder_pid, holder_start): once that
-- session is gone (its process died or lost the database) the hold no longer counts, and the
-- next reservation for the same user deletes it. Rows only matter while their session lives,
-- so the table is UNLOGGED (like the presence leases of 0043).
CREATE UNLOGGED TABLE upload_reservations (
  hold_id text PRIMARY KEY,
  user_id text NOT NULL,
  bytes bigint NOT NULL CHECK (bytes >= 0),
  holder_pid int NOT NULL,
  holder_start timestamptz NOT NULL
);
CREATE INDEX upload_reservations_by_user ON upload_reservations (user_id);
