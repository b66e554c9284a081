-- Partition writers (ADR 0082): several `filament api` processes share one database, each
-- partition has exactly one writer at a time, and a writer that lost its partition is fenced.
-- Assignment (who should own a partition) is not here; this is the fence that makes a stale
-- owner harmless. A handle opened in single-writer mode (`filament serve`) keeps calling
-- filament_log_append and never looks at this table.

-- The current writer epoch of each partition; no row = never acquired (every owned append is
-- refused). `owner` and `acquired_at` are for operators only. No foreign key to
-- log_partitions: the single-writer append updates those rows and must not pay for one (the
-- adapter checks the partition range before acquiring).
CREATE TABLE log_partition_writers (
  partition_id int PRIMARY KEY CHECK (partition_id >= 0),
  epoch bigint NOT NULL CHECK (epoch >= 1),
  owner text NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now()
);

-- Makes the caller the writer of p_partition and returns its new epoch. The upsert takes the
-- row's exclusive lock, so it waits for every append that holds the row FOR SHARE (those commit
-- first and stay valid) and, once committed, every later append of an older epoch is refused.
CREATE FUNCTION filament_log_acquire(p_partition int, p_owner text) RETURNS bigint
LANGUAGE sql AS $fn$
  INSERT INTO log_partition_writers AS w (partition_id, epoch, owner)
  VALUES (p_partition, 1, p_owner)
  ON CONFLICT (partition_id) DO UPDATE
    SET epoch = w.epoch + 1, owner = EXCLUDED.owner, acquired_at = now()
  RETURNING epoch;
$fn$;

-- filament_log_append for a fenced writer: returns -3 (and writes nothing) unless p_epoch is
-- the partition's current epoch, else whatever filament_log_append returns. The writer row is
-- locked FOR SHARE until the caller's transaction ends. Under READ COMMITTED, a lock request
-- that waited for a committed acquire re-checks `epoch = p_epoch` on the new row version, so
-- an append either commits before the acquire that fences it, or sees the new epoch.
CREATE FUNCTION filament_log_append_owned(
  p_partition int, p_epoch bigint, p_stream text, p_expected bigint, p_event_ids text[],
  p_types text[], p_schema_versions int[], p_stream_versions bigint[], p_times bigint[],
  p_actors text[], p_correlations text[], p_causations text[], p_payloads text[]) RETURNS bigint
LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM 1 FROM log_partition_writers
   WHERE partition_id = p_partition AND epoch = p_epoch
     FOR SHARE;
  IF NOT FOUND THEN
    RETURN -3;
  END IF;
  RETURN filament_log_append(p_partition, p_stream, p_expected, p_event_ids, p_types,
                             p_schema_versions, p_stream_versions, p_times, p_actors,
                             p_correlations, p_causations, p_payloads);
END
$fn$;
