-- filament_log_append checks the expected version with two equality probes on the unique
-- (stream, stream_version) index instead of reading the stream's head with max() (ADR 0100).
--
-- The max() read is planned once per session and the plan is cached until the table is next
-- analyzed. Planned while event_log is a page or two (a fresh server's first appends), the
-- cheapest plan is an aggregate over every index entry of the stream, not the backward scan
-- that stops at the first: each append then read its whole stream (33 000 index entries per
-- append, 40 % of PostgreSQL's time, in command_bench's first minute). A probe for one key of
-- a unique index reads at most one entry whatever plan is cached.
--
-- Same signature, results and locking as migration 0001's: streams are dense from version 1,
-- so a stream is at p_expected exactly when it has version p_expected (or p_expected = 0) and
-- not version p_expected + 1. Both probes run after the partition row is locked, so every
-- earlier append to the stream is visible. With p_expected < 0 the head is read by a statement
-- planned at each call (EXECUTE), so no plan made on a small table is kept; only tests and
-- tools append that way.
CREATE OR REPLACE FUNCTION filament_log_append(
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
    IF p_expected >= 0 THEN
      IF p_expected > 0 AND NOT EXISTS (SELECT 1 FROM event_log
                                         WHERE stream = p_stream AND stream_version = p_expected)
      THEN
        RAISE EXCEPTION 'stream is behind version %', p_expected USING ERRCODE = 'FL409';
      END IF;
      IF EXISTS (SELECT 1 FROM event_log
                  WHERE stream = p_stream AND stream_version = p_expected + 1) THEN
        RAISE EXCEPTION 'stream is past version %', p_expected USING ERRCODE = 'FL409';
      END IF;
      head := p_expected;
    ELSE
      EXECUTE 'SELECT stream_version FROM event_log WHERE stream = $1 '
              'ORDER BY stream_version DESC LIMIT 1' INTO head USING p_stream;
      head := coalesce(head, 0);
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
