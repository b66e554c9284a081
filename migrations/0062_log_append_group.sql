-- filament_log_append_group appends a whole group of batches (one appender commit) in one
-- function call: one subtransaction, one multi-row INSERT and one log_partitions UPDATE for the
-- group, instead of a filament_log_append call per batch, each with its own subtransaction,
-- nine array parameters, UPDATE and INSERT (ADR 0114). At 1–2 records per batch (many small
-- streams) the per-call part was most of PostgreSQL's time per post.
--
-- Arguments: one element per batch in p_partitions, p_epochs (NULL: single writer, no fence),
-- p_streams, p_expected (>= 0; the log numbers kAnyVersion batches through
-- filament_log_append) and p_counts (records per batch, >= 1); then the records of every
-- batch, batch after batch, in the nine record arrays of filament_log_append. No stream may
-- appear twice in a group. Returns one row per batch: its ordinal (1-based) and its verdict,
-- as filament_log_append's and filament_log_append_owned's: the first offset, -1 (version
-- conflict), -2 (an event_id exists) or -3 (not the partition's writer epoch).
--
-- Same guarantees as the per-batch functions: writer rows are share-locked and partition rows
-- locked in ascending partition order (so groups of several processes cannot deadlock), the
-- version probes run after the locks (every earlier append to the stream is visible), offsets
-- stay dense and in commit order, and a failing batch changes nothing. The probes are the
-- equality probes of migration 0060, one pair per batch in a loop (no set-based plan that a
-- small table could make a scan of the whole log). A unique violation in the INSERT (an
-- event_id that exists, which no probe checks) rolls the group back and appends it batch by
-- batch through the per-batch functions, which tell which batch it was.
--
-- Its statements run on generic plans from the first call: a custom plan knows the arrays'
-- lengths, so its estimate is always below the generic plan's (which guesses 100 elements per
-- unnest) and PL/pgSQL would plan every statement again at every call, which cost more than
-- the group saved (0.69 against 0.43 ms for a one-record batch on this VM). The probes' generic
-- plan is an index probe whatever the table's size (PgEventLog test
-- WholeGroupVersionCheckDoesNotReadTheStream).
CREATE FUNCTION filament_log_append_group(
  p_partitions int[], p_epochs bigint[], p_streams text[], p_expected bigint[], p_counts int[],
  p_event_ids text[], p_types text[], p_schema_versions int[], p_stream_versions bigint[],
  p_times bigint[], p_actors text[], p_correlations text[], p_causations text[],
  p_payloads text[]) RETURNS TABLE (ord int, verdict bigint)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
  nb int := coalesce(cardinality(p_partitions), 0);
  nr int := coalesce(cardinality(p_event_ids), 0);
  verdicts bigint[] := array_fill(0::bigint, ARRAY[nb]);
  starts int[] := array_fill(0, ARRAY[nb]);  -- each batch's first record
  record_batches int[] := '{}';                -- each record's batch
  part_ids int[];
  part_next bigint[];
  part_start bigint[];
  part_index int;
  first_offset bigint;
  pos int := 1;
  total int := 0;
  i int;
  j int;
BEGIN
  IF cardinality(p_streams) IS DISTINCT FROM nb OR cardinality(p_expected) IS DISTINCT FROM nb
     OR cardinality(p_counts) IS DISTINCT FROM nb
     OR (p_epochs IS NOT NULL AND cardinality(p_epochs) IS DISTINCT FROM nb) THEN
    RAISE EXCEPTION 'group arrays differ in length' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOR i IN 1..nb LOOP
    IF p_counts[i] IS NULL OR p_counts[i] < 1 OR p_expected[i] IS NULL OR p_expected[i] < 0 THEN
      RAISE EXCEPTION 'batch % needs records and an expected version', i
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    total := total + p_counts[i];
  END LOOP;
  IF total <> nr OR cardinality(p_types) IS DISTINCT FROM nr
     OR cardinality(p_schema_versions) IS DISTINCT FROM nr
     OR cardinality(p_stream_versions) IS DISTINCT FROM nr
     OR cardinality(p_times) IS DISTINCT FROM nr OR cardinality(p_actors) IS DISTINCT FROM nr
     OR cardinality(p_correlations) IS DISTINCT FROM nr
     OR cardinality(p_causations) IS DISTINCT FROM nr
     OR cardinality(p_payloads) IS DISTINCT FROM nr THEN
    RAISE EXCEPTION 'record arrays do not match the batch counts'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF nb = 0 THEN
    RETURN;
  END IF;
  BEGIN
    IF p_epochs IS NOT NULL THEN
      PERFORM 1 FROM log_partition_writers
       WHERE partition_id = ANY (p_partitions) ORDER BY partition_id FOR SHARE;
    END IF;
    SELECT array_agg(l.partition_id ORDER BY l.partition_id),
           array_agg(l.next_offset ORDER BY l.partition_id)
      INTO part_ids, part_next
      FROM (SELECT partition_id, next_offset FROM log_partitions
             WHERE partition_id = ANY (p_partitions) ORDER BY partition_id FOR UPDATE) l;
    part_start := part_next;
    FOR i IN 1..nb LOOP
      part_index := array_position(part_ids, p_partitions[i]);
      IF part_index IS NULL THEN
        RAISE EXCEPTION 'unknown partition %', p_partitions[i]
          USING ERRCODE = 'invalid_parameter_value';
      END IF;
      IF p_epochs IS NOT NULL AND NOT EXISTS (SELECT 1 FROM log_partition_writers
                                               WHERE partition_id = p_partitions[i]
                                                 AND epoch = p_epochs[i]) THEN
        verdicts[i] := -3;
      ELSIF (p_expected[i] > 0 AND NOT EXISTS (SELECT 1 FROM event_log
                                                 WHERE stream = p_streams[i]
                                                   AND stream_version = p_expected[i]))
            OR EXISTS (SELECT 1 FROM event_log
                        WHERE stream = p_streams[i] AND stream_version = p_expected[i] + 1) THEN
        verdicts[i] := -1;
      ELSE
        first_offset := part_next[part_index];
        part_next[part_index] := first_offset + p_counts[i];
        verdicts[i] := first_offset;
      END IF;
      starts[i] := pos;
      record_batches := record_batches || array_fill(i, ARRAY[p_counts[i]]);
      pos := pos + p_counts[i];
    END LOOP;
    INSERT INTO event_log (partition_id, log_offset, event_id, type, schema_version, stream,
                           stream_version, time_unix_ms, actor_user_id, correlation_id,
                           causation_id, payload)
    SELECT p_partitions[u.b], verdicts[u.b] + (u.ord - starts[u.b]), u.event_id, u.type,
           u.schema_version, p_streams[u.b], u.stream_version, u.time_unix_ms, u.actor,
           u.correlation, u.causation, u.payload
      FROM unnest(record_batches, p_event_ids, p_types, p_schema_versions, p_stream_versions,
                  p_times, p_actors, p_correlations, p_causations, p_payloads)
           WITH ORDINALITY AS u(b, event_id, type, schema_version, stream_version, time_unix_ms,
                                actor, correlation, causation, payload, ord)
     WHERE verdicts[u.b] >= 0;
    UPDATE log_partitions p SET next_offset = n.next_offset
      FROM unnest(part_ids, part_next) AS n(partition_id, next_offset)
     WHERE p.partition_id = n.partition_id AND p.next_offset <> n.next_offset;
    FOR i IN 1..cardinality(part_ids) LOOP
      IF part_next[i] <> part_start[i] THEN
        PERFORM pg_notify('filament_log', part_ids[i]::text);
      END IF;
    END LOOP;
  EXCEPTION
    WHEN unique_violation THEN
      -- Rolled back to the block's start, locks included. Batch by batch instead, each in its
      -- own subtransaction, so only the batch whose event_id exists fails.
      pos := 1;
      FOR i IN 1..nb LOOP
        j := pos + p_counts[i] - 1;
        IF p_epochs IS NULL THEN
          verdicts[i] := filament_log_append(
            p_partitions[i], p_streams[i], p_expected[i], p_event_ids[pos:j], p_types[pos:j],
            p_schema_versions[pos:j], p_stream_versions[pos:j], p_times[pos:j],
            p_actors[pos:j], p_correlations[pos:j], p_causations[pos:j], p_payloads[pos:j]);
        ELSE
          verdicts[i] := filament_log_append_owned(
            p_partitions[i], p_epochs[i], p_streams[i], p_expected[i], p_event_ids[pos:j],
            p_types[pos:j], p_schema_versions[pos:j], p_stream_versions[pos:j],
            p_times[pos:j], p_actors[pos:j], p_correlations[pos:j], p_causations[pos:j],
            p_payloads[pos:j]);
        END IF;
        pos := j + 1;
      END LOOP;
  END;
  RETURN QUERY SELECT s.i, verdicts[s.i] FROM generate_series(1, nb) AS s(i);
END
$fn$;
