import type { QueryConfig } from 'pg';
import type { JsonObject, RecordedEvent, Position } from '@cmk/eventstore/port';

/**
 * A row of `cmk_events` as node-postgres returns it: `bigint` columns arrive as decimal text
 * (exact; converted with `BigInt`), `json` columns already parsed, `timestamptz` as a `Date`.
 */
export interface PgEventRow {
  readonly seq: string;
  readonly stream_id: string;
  readonly revision: string;
  readonly event_id: string;
  readonly type: string;
  readonly data: JsonObject | null;
  readonly metadata: JsonObject | null;
  readonly created: Date;
}

/** PostgreSQL's largest bigint: the open bound for reads "from the end". */
export const MAX_SEQ = 9_223_372_036_854_775_807n;

export function positionOf(seq: bigint): Position {
  return { commit: seq, prepare: seq };
}

export function toRecordedEvent(row: PgEventRow): RecordedEvent {
  return {
    streamId: row.stream_id,
    id: row.event_id,
    type: row.type,
    revision: BigInt(row.revision),
    position: positionOf(BigInt(row.seq)),
    data: row.data ?? {},
    metadata: row.metadata ?? {},
    created: row.created,
  };
}

const COLUMNS = 'seq, stream_id, revision, event_id, type, data, metadata, created';

/**
 * Every query the adapter runs, as named statements: node-postgres prepares each once per
 * connection and then sends only the parameters. `LIMIT NULL` means no limit.
 */
export const QUERIES = {
  append: (values: unknown[]): QueryConfig => ({
    name: 'cmk_append',
    text: 'SELECT outcome, last_revision::text, last_seq::text, detail FROM cmk_append($1, $2, $3, $4, $5, $6, $7)',
    values,
  }),
  streamForwards: (stream: string, from: bigint, limit: number | null): QueryConfig => ({
    name: 'cmk_stream_fwd',
    text: `SELECT ${COLUMNS} FROM cmk_events WHERE stream_id = $1 AND revision >= $2 ORDER BY revision ASC LIMIT $3`,
    values: [stream, String(from), limit],
  }),
  streamBackwards: (stream: string, from: bigint, limit: number | null): QueryConfig => ({
    name: 'cmk_stream_bwd',
    text: `SELECT ${COLUMNS} FROM cmk_events WHERE stream_id = $1 AND revision <= $2 ORDER BY revision DESC LIMIT $3`,
    values: [stream, String(from), limit],
  }),
  /** Whole streams, each in revision order (one index scan per name). */
  streams: (streams: readonly string[]): QueryConfig => ({
    name: 'cmk_streams',
    text: `SELECT ${COLUMNS} FROM cmk_events WHERE stream_id = ANY ($1::text[]) ORDER BY stream_id, revision`,
    values: [streams],
  }),
  allForwards: (from: bigint, limit: number | null): QueryConfig => ({
    name: 'cmk_all_fwd',
    text: `SELECT ${COLUMNS} FROM cmk_events WHERE seq >= $1 ORDER BY seq ASC LIMIT $2`,
    values: [String(from), limit],
  }),
  allBackwards: (from: bigint, limit: number | null): QueryConfig => ({
    name: 'cmk_all_bwd',
    text: `SELECT ${COLUMNS} FROM cmk_events WHERE seq <= $1 ORDER BY seq DESC LIMIT $2`,
    values: [String(from), limit],
  }),
  /**
   * A filtered subscription page: up to `limit` rows with `after < seq <= bound` whose stream
   * starts with one of the prefixes, where `bound` is the head (read in the same statement) or
   * `after + scanRows`, whichever is lower. The rows the filter does not want never leave the
   * server. Every row carries the head; with no wanted row there is one row of nulls and the
   * head. `seq` order is commit order (the append lock), so no row at or below the head commits
   * later. No prefix at all wants nothing, as in the other adapters.
   */
  filteredPage: (after: bigint, limit: number, prefixes: readonly string[], scanRows: bigint): QueryConfig => ({
    name: 'cmk_filtered_page',
    text: `WITH top AS (SELECT max(seq) AS head FROM cmk_events)
           SELECT top.head::text AS head, page.seq, page.stream_id, page.revision, page.event_id, page.type, page.created, page.data, page.metadata
             FROM top LEFT JOIN LATERAL (
                    SELECT seq, stream_id, revision, event_id, type, created, data, metadata FROM cmk_events
                     WHERE seq > $1 AND seq <= least(top.head, $1 + $4) AND stream_id ^@ ANY ($3::text[])
                     ORDER BY seq ASC LIMIT $2) page ON true
            ORDER BY page.seq ASC`,
    values: [String(after), limit, prefixes, String(scanRows)],
  }),
  head: (): QueryConfig => ({ name: 'cmk_head', text: 'SELECT max(seq)::text AS seq FROM cmk_events' }),
};

/** A filtered page row: the head, and an event row (all its columns null when no row was wanted). */
export type PgFilteredPageRow = { readonly head: string | null } & ({ readonly seq: null } | PgEventRow);
