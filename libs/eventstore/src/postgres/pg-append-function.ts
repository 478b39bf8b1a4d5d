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

/**
 * Schema version 2: `cmk_append` decides and writes a group of appends to distinct streams in
 * one set-based statement, instead of three statements per append in a PL/pgSQL loop (measured:
 * about a third of the server CPU per append in groups of 64; docs/benchmarks.md). Same
 * signature, same outcomes, same lock, same `seq` order: running processes of the previous build
 * keep calling it unchanged.
 *
 * The version-1 function is kept, renamed `cmk_append_each`, for the groups the statement cannot
 * decide at once: a group naming a stream twice (its second append must be checked against the
 * first one's events, which a single statement's snapshot does not see) and a group of one
 * append (where the loop's small statements are cheaper than the large one).
 *
 * The statement: `appends` numbers the appends and places each one's events in the flattened
 * arrays (`off`); `placed` gives each event its append and its 1-based place `j` in it; `tips` is
 * each stream's last revision and `found` the events whose ids already exist in that stream
 * (both by index lookups, one per stream and one per event; `LIMIT 1` keeps the planner from
 * turning them into a scan of the table); `checked` and `outcomes` apply version 1's rules in
 * version 1's order (`is_retry`: the ids are exactly an earlier write, placed where this retry
 * expects it); `inserted` writes the appends decided `write`, in group order (so `seq` follows
 * it). The plan is generic (cached per connection): the parameters are arrays whose sizes the
 * planner cannot use anyway, and planning the statement on every call would cost more than it.
 */
export const APPEND_FUNCTION_V2 = `
ALTER FUNCTION cmk_append(text[], text[], int[], text[], text[], text[], text[]) RENAME TO cmk_append_each;
CREATE FUNCTION cmk_append(
  p_streams text[], p_expected text[], p_counts int[],
  p_ids text[], p_types text[], p_data text[], p_metadata text[])
RETURNS TABLE (outcome text, last_revision bigint, last_seq bigint, detail text)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $fn$
DECLARE
  r record;
  head bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(${LOCK_CLASS}, ${APPEND_LOCK});
  IF coalesce(cardinality(p_streams), 0) <= 1 OR (SELECT count(DISTINCT s) FROM unnest(p_streams) s) < cardinality(p_streams) THEN
    RETURN QUERY SELECT * FROM cmk_append_each(p_streams, p_expected, p_counts, p_ids, p_types, p_data, p_metadata);
    RETURN;
  END IF;
  FOR r IN
    WITH appends AS (
      SELECT a.i, a.stream, a.expected, a.n, (sum(a.n) OVER (ORDER BY a.i) - a.n)::int AS off
        FROM unnest(p_streams, p_expected, p_counts) WITH ORDINALITY AS a(stream, expected, n, i)
    ),
    events AS (
      SELECT e.k::int AS k, e.id, e.type, e.data, e.metadata
        FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS e(id, type, data, metadata, k)
    ),
    placed AS (
      SELECT a.i, a.stream, k - a.off AS j, ev.k, ev.id, ev.type, ev.data, ev.metadata
        FROM appends a CROSS JOIN LATERAL generate_series(a.off + 1, a.off + a.n) AS k
        JOIN events ev USING (k)
    ),
    tips AS (
      SELECT a.i, t.revision AS tip_revision, t.seq AS tip_seq
        FROM appends a LEFT JOIN LATERAL (
          SELECT e.revision, e.seq FROM cmk_events e WHERE e.stream_id = a.stream ORDER BY e.revision DESC LIMIT 1) t ON true
    ),
    found AS (
      SELECT p.i, count(*)::int AS found_count, count(DISTINCT e.revision - p.j)::int AS offsets,
             bool_and(e.type = p.type) AS types_match, min(e.revision) AS first_revision,
             max(e.revision) AS found_last_revision, max(e.seq) AS found_last_seq,
             (array_agg(p.id ORDER BY p.j))[1] AS first_repeated
        FROM placed p CROSS JOIN LATERAL (
          SELECT x.seq, x.revision, x.type FROM cmk_events x WHERE x.stream_id = p.stream AND x.event_id = p.id LIMIT 1) e
       GROUP BY p.i
    ),
    checked AS (
      SELECT a.i, a.n, t.tip_revision, t.tip_seq, f.found_count, f.found_last_revision, f.found_last_seq, f.first_repeated,
             CASE a.expected
               WHEN 'any' THEN true
               WHEN 'no_stream' THEN t.tip_revision IS NULL
               WHEN 'stream_exists' THEN t.tip_revision IS NOT NULL
               ELSE t.tip_revision IS NOT NULL AND t.tip_revision = a.expected::bigint
             END AS satisfied,
             f.found_count = a.n AND f.offsets = 1 AND f.types_match AND CASE a.expected
               WHEN 'any' THEN true
               WHEN 'stream_exists' THEN true
               WHEN 'no_stream' THEN f.first_revision = 0
               ELSE f.first_revision - 1 = a.expected::bigint
             END AS is_retry
        FROM appends a JOIN tips t USING (i) LEFT JOIN found f USING (i)
    ),
    outcomes AS (
      SELECT c.*,
             CASE
               WHEN c.found_count IS NOT NULL THEN
                 CASE WHEN c.is_retry THEN 'ok' WHEN NOT c.satisfied THEN 'conflict' ELSE 'duplicate' END
               WHEN NOT c.satisfied THEN 'conflict'
               WHEN c.n = 0 THEN 'ok'
               ELSE 'write'
             END AS decision
        FROM checked c
    ),
    inserted AS (
      INSERT INTO cmk_events (stream_id, revision, event_id, type, data, metadata)
      SELECT p.stream, coalesce(o.tip_revision, -1) + p.j, p.id, p.type, p.data::json, p.metadata::json
        FROM placed p JOIN outcomes o USING (i)
       WHERE o.decision = 'write'
       ORDER BY p.k
      RETURNING seq, stream_id
    ),
    heads AS (
      SELECT a.i, max(x.seq) AS seq FROM inserted x JOIN appends a ON a.stream = x.stream_id GROUP BY a.i
    )
    SELECT o.decision,
           CASE o.decision
             WHEN 'write' THEN coalesce(o.tip_revision, -1) + o.n
             WHEN 'conflict' THEN o.tip_revision
             WHEN 'ok' THEN coalesce(o.found_last_revision, o.tip_revision, -1)
           END AS last_revision,
           CASE o.decision
             WHEN 'write' THEN h.seq
             WHEN 'ok' THEN CASE WHEN o.found_count IS NULL THEN o.tip_seq ELSE o.found_last_seq END
           END AS last_seq,
           CASE o.decision WHEN 'duplicate' THEN o.first_repeated END AS detail
      FROM outcomes o LEFT JOIN heads h USING (i)
     ORDER BY o.i
  LOOP
    IF r.decision = 'write' THEN
      head := greatest(head, r.last_seq);
    END IF;
    outcome := CASE r.decision WHEN 'write' THEN 'ok' ELSE r.decision END;
    last_revision := r.last_revision;
    last_seq := r.last_seq;
    detail := r.detail;
    RETURN NEXT;
  END LOOP;
  IF head IS NOT NULL THEN
    PERFORM pg_notify('${NOTIFY_CHANNEL}', head::text);
  END IF;
END
$fn$;
`;
