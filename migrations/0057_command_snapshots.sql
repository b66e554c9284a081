-- Command-side snapshots (ADR 0078, commands/snapshot, adapters/pgstore/pg_snapshot_store).
-- A snapshot is derived data (the fold of a log prefix): UNLOGGED (no WAL for hundreds of MB;
-- a crash empties the tables and the next start folds the log from 0), chunks stored without
-- TOAST compression (STORAGE EXTERNAL: the codec is compact already, pglz would cost seconds).
CREATE UNLOGGED TABLE command_snapshots (
  snapshot_id bigserial PRIMARY KEY,
  format_version integer NOT NULL,
  end_offsets text NOT NULL,            -- "E0,E1,...": the log position it includes
  size_bytes bigint NOT NULL,
  chunks integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNLOGGED TABLE command_snapshot_chunks (
  snapshot_id bigint NOT NULL REFERENCES command_snapshots ON DELETE CASCADE,
  seq integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (snapshot_id, seq)
);
ALTER TABLE command_snapshot_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
