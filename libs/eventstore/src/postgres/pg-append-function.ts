/**
 * Advisory-lock keys of this store (the two-int form, class `'cmk\0'`): one serialises appends,
 * one serialises migrations. Other applications' one-bigint advisory locks never collide with it.
 */
export const LOCK_CLASS = 0x636d6b00;
export const APPEND_LOCK = 1;
export const MIGRATION_LOCK = 2;

/** The channel a committed append notifies, with the new head `seq` as payload. */
export const NOTIFY_CHANNEL = 'cmk_events';

/**
 * `cmk_append`: a whole group of appends in one statement, so one round trip and one commit
 * (one WAL flush) serve every append in it.
 *
 * It first takes the transaction-level append lock, so appends from every process run one at a
 * time and `seq` (an identity with CACHE 1, drawn under the lock) is assigned in commit order: a
 * reader that has seen `seq = n` committed can never later find a smaller `seq` committing (the
 * lock is released after the commit is visible). See docs/architecture.md §6f.
 *
 * Each append (stream `p_streams[i]`, expectation `p_expected[i]`, `p_counts[i]` events taken in
 * order from the flattened event arrays) yields one row:
 * - `ok`: written, or an idempotent retry of an earlier write (same ids, same order, same types,
 *   placed where the retry expects) — `last_revision`/`last_seq` of that write, `last_seq` null
 *   for an empty append to a missing stream;
 * - `conflict`: wrong expected revision — `last_revision` is the stream's tip (null: no stream);
 * - `duplicate`: some ids exist but not as that write — `detail` is the first such id.
 * The checks run under the lock, so nothing can change between them and the insert; the unique
 * indexes remain as the last line of defence against a writer that bypasses the function.
 */
export const APPEND_FUNCTION = `
CREATE FUNCTION cmk_append(
  p_streams text[], p_expected text[], p_counts int[],
  p_ids text[], p_types text[], p_data text[], p_metadata text[])
RETURNS TABLE (outcome text, last_revision bigint, last_seq bigint, detail text)
LANGUAGE plpgsql AS $fn$
DECLARE
  i int;
  n int;
  a int := 1;
  b int;
  tip_revision bigint;
  tip_seq bigint;
  stream_exists boolean;
  satisfied boolean;
  found_count int;
  offsets int;
  types_match boolean;
  first_revision bigint;
  found_last_revision bigint;
  found_last_seq bigint;
  first_repeated text;
  retry_in_place boolean;
  head bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(${LOCK_CLASS}, ${APPEND_LOCK});
  FOR i IN 1 .. coalesce(array_length(p_streams, 1), 0) LOOP
    n := p_counts[i];
    b := a + n - 1;
    SELECT e.revision, e.seq INTO tip_revision, tip_seq
      FROM cmk_events e WHERE e.stream_id = p_streams[i] ORDER BY e.revision DESC LIMIT 1;
    stream_exists := FOUND;
    satisfied := CASE p_expected[i]
      WHEN 'any' THEN true
      WHEN 'no_stream' THEN NOT stream_exists
      WHEN 'stream_exists' THEN stream_exists
      ELSE stream_exists AND tip_revision = p_expected[i]::bigint
    END;
    found_count := 0;
    IF n > 0 THEN
      SELECT count(e.seq)::int, count(DISTINCT e.revision - t.k)::int, coalesce(bool_and(e.type = t.type), true),
             min(e.revision), max(e.revision), max(e.seq),
             (array_agg(t.id ORDER BY t.k) FILTER (WHERE e.seq IS NOT NULL))[1]
        INTO found_count, offsets, types_match, first_revision, found_last_revision, found_last_seq, first_repeated
        FROM unnest(p_ids[a:b], p_types[a:b]) WITH ORDINALITY AS t(id, type, k)
        LEFT JOIN cmk_events e ON e.stream_id = p_streams[i] AND e.event_id = t.id;
    END IF;
    IF found_count > 0 THEN
      -- PL/pgSQL ends an IF condition at the first THEN, so the CASE is evaluated apart.
      retry_in_place := CASE p_expected[i]
        WHEN 'any' THEN true
        WHEN 'stream_exists' THEN true
        WHEN 'no_stream' THEN first_revision = 0
        ELSE first_revision - 1 = p_expected[i]::bigint
      END;
      IF found_count = n AND offsets = 1 AND types_match AND retry_in_place THEN
        RETURN QUERY SELECT 'ok'::text, found_last_revision, found_last_seq, NULL::text;
      ELSIF NOT satisfied THEN
        RETURN QUERY SELECT 'conflict'::text, tip_revision, NULL::bigint, NULL::text;
      ELSE
        RETURN QUERY SELECT 'duplicate'::text, NULL::bigint, NULL::bigint, first_repeated;
      END IF;
    ELSIF NOT satisfied THEN
      RETURN QUERY SELECT 'conflict'::text, tip_revision, NULL::bigint, NULL::text;
    ELSIF n = 0 THEN
      RETURN QUERY SELECT 'ok'::text, coalesce(tip_revision, -1), tip_seq, NULL::text;
    ELSE
      WITH inserted AS (
        INSERT INTO cmk_events (stream_id, revision, event_id, type, data, metadata)
        SELECT p_streams[i], coalesce(tip_revision, -1) + t.k, t.id, t.type, t.data::json, t.metadata::json
          FROM unnest(p_ids[a:b], p_types[a:b], p_data[a:b], p_metadata[a:b]) WITH ORDINALITY AS t(id, type, data, metadata, k)
         ORDER BY t.k
        RETURNING seq)
      SELECT max(seq) INTO head FROM inserted;
      RETURN QUERY SELECT 'ok'::text, coalesce(tip_revision, -1) + n, head, NULL::text;
    END IF;
    a := b + 1;
  END LOOP;
  IF head IS NOT NULL THEN
    PERFORM pg_notify('${NOTIFY_CHANNEL}', head::text);
  END IF;
END
$fn$;
`;
