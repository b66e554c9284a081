-- The embedded event log (adapters/postgres/pg_event_log.cpp): an append-only table with dense
-- per-partition offsets from 0. See adapters/postgres/README.md for the design.

-- How many partitions the log has; fixed by the first PgEventLog::Open.
CREATE TABLE log_config (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  partitions int NOT NULL CHECK (partitions >= 1)
);

-- One row per partition. next_offset is the end of the partition. Appenders allocate offsets
-- with UPDATE ... RETURNING, which holds the row lock until commit: appends to one partition
-- commit in offset order, so a reader never sees a gap that later fills.
CREATE TABLE log_partitions (
  partition_id int PRIMARY KEY CHECK (partition_id >= 0),
  next_offset bigint NOT NULL DEFAULT 0 CHECK (next_offset >= 0)
);

-- Payload is text, not jsonb: jsonb would reorder keys and rewrite numbers and whitespace, and
-- readers must get back the exact bytes that were appended. text keeps them byte for byte
-- (the adapter accepts only valid UTF-8 without NUL) and stays readable in psql.
CREATE TABLE event_log (
  partition_id int NOT NULL,
  log_offset bigint NOT NULL CHECK (log_offset >= 0),
  event_id text NOT NULL,
  type text NOT NULL,
  schema_version int NOT NULL CHECK (schema_version >= 1),
  stream text NOT NULL,
  stream_version bigint NOT NULL CHECK (stream_version >= 1),
  time_unix_ms bigint NOT NULL,
  actor_user_id text NOT NULL,
  correlation_id text NOT NULL,
  causation_id text NOT NULL,
  payload text NOT NULL,
  appended_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (partition_id, log_offset),
  CONSTRAINT event_log_stream_version_key UNIQUE (stream, stream_version),
  CONSTRAINT event_log_event_id_key UNIQUE (event_id)
);

-- The log is append-only: rows are never updated or deleted.
CREATE FUNCTION event_log_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'event_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$fn$;
CREATE TRIGGER event_log_append_only BEFORE UPDATE OR DELETE ON event_log
  FOR EACH ROW EXECUTE FUNCTION event_log_forbid_change();
CREATE TRIGGER event_log_no_truncate BEFORE TRUNCATE ON event_log
  FOR EACH STATEMENT EXECUTE FUNCTION event_log_forbid_change();

-- Appends one batch (all records of one stream) inside its own subtransaction, so a conflicting
-- batch rolls back alone while the others of the same group commit stays intact.
-- Returns the first offset, -1 when the stream is not at p_expected (or a concurrent writer took
-- a version), -2 when an event_id already exists. p_expected < 0 skips the version check and
-- numbers the records head + 1, head + 2, ... (p_stream_versions is then ignored). The head is
-- read after the partition row is locked, so every earlier append to the stream is visible.
-- Wakes readers with NOTIFY filament_log '<partition>' (delivered at commit).
CREATE FUNCTION filament_log_append(
  p_partition int, p_stream text, p_expected bigint, p_event_ids text[], p_types text[],
  p_schema_versions int[], p_stream_versions bigint[], p_times bigint[], p_actors text[],
  p_correlations text[], p_causations text[], p_payloads text[]) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
  n int := cardinality(p_event_ids);
  first_offset bigint;
  head bigint;
  failed_constraint text;
BEGIN
  BEGIN
    UPDATE log_partitions SET next_offset = next_offset + n
     WHERE partition_id = p_partition
     RETURNING next_offset - n INTO first_offset;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'unknown partition %', p_partition USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT coalesce(max(stream_version), 0) INTO head FROM event_log WHERE stream = p_stream;
    IF p_expected >= 0 THEN
      IF head <> p_expected THEN
        RAISE EXCEPTION 'stream is at version %', head USING ERRCODE = 'FL409';
      END IF;
    END IF;
    INSERT INTO event_log (partition_id, log_offset, event_id, type, schema_version, stream,
                           stream_version, time_unix_ms, actor_user_id, correlation_id,
                           causation_id, payload)
    SELECT p_partition, first_offset + u.ord - 1, u.event_id, u.type, u.schema_version,
           p_stream, CASE WHEN p_expected < 0 THEN head + u.ord ELSE u.stream_version END,
           u.time_unix_ms, u.actor, u.correlation, u.causation,
           u.payload
      FROM unnest(p_event_ids, p_types, p_schema_versions, p_stream_versions, p_times,
                  p_actors, p_correlations, p_causations, p_payloads)
           WITH ORDINALITY AS u(event_id, type, schema_version, stream_version, time_unix_ms,
                                actor, correlation, causation, payload, ord);
    PERFORM pg_notify('filament_log', p_partition::text);
  EXCEPTION
    WHEN SQLSTATE 'FL409' THEN
      RETURN -1;
    WHEN unique_violation THEN
      GET STACKED DIAGNOSTICS failed_constraint = CONSTRAINT_NAME;
      IF failed_constraint = 'event_log_event_id_key' THEN
        RETURN -2;
      END IF;
      RETURN -1;
  END;
  RETURN first_offset;
END
$fn$;
