-- Projection checkpoints: for each projection and log partition, the offset of the next record
-- to apply. Advanced in the same transaction as the projection's table writes, so every record
-- takes effect exactly once (projections/runner).
CREATE TABLE IF NOT EXISTS projection_checkpoints (
  projection  text        NOT NULL,
  partition   integer     NOT NULL CHECK (partition >= 0),
  next_offset bigint      NOT NULL DEFAULT 0 CHECK (next_offset >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, partition)
);

-- Operator instructions to skip one record that a projection cannot apply
-- (`filament project|replay --skip-position P:O`). Kept forever, so every skip is auditable.
CREATE TABLE IF NOT EXISTS projection_skips (
  projection  text        NOT NULL,
  partition   integer     NOT NULL CHECK (partition >= 0),
  "offset"    bigint      NOT NULL CHECK ("offset" >= 0),
  reason      text        NOT NULL DEFAULT '',
  created_by  text        NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, partition, "offset")
);
