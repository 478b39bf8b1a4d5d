import type { QueryConfig } from 'pg';
import type { JsonObject, RecordedEvent, Position } from '@cmk/eventstore/port';

/**
 * A row of `cmk_events` as node-postgres returns it: `bigint` columns arrive as decimal text
 * (exact; converted with `BigInt`), `json` columns already parsed, `timestamptz` as a `Date`.
 * `data`/`metadata` are null in subscription pages for rows the filter does not want.
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
   * A subscription page: the next `limit` rows after `after`, with the payload only of rows
   * whose stream starts with one of the prefixes (`^@` is `starts_with`). The other rows still
   * come back, without payload, so the page's last `seq` can be reported as a checkpoint.
   */
  page: (after: bigint, limit: number, prefixes: readonly string[] | null): QueryConfig => ({
    name: 'cmk_page',
    text: `SELECT seq, stream_id, revision, event_id, type, created,
                  CASE WHEN wanted THEN data END AS data, CASE WHEN wanted THEN metadata END AS metadata, wanted
             FROM (SELECT *, ($3::text[] IS NULL OR stream_id ^@ ANY ($3::text[])) AS wanted
                     FROM cmk_events WHERE seq > $1 ORDER BY seq ASC LIMIT $2) page
            ORDER BY seq ASC`,
    values: [String(after), limit, prefixes],
  }),
  head: (): QueryConfig => ({ name: 'cmk_head', text: 'SELECT max(seq)::text AS seq FROM cmk_events' }),
};

/** A subscription page row: an event row plus whether the subscription's filter wants it. */
export interface PgPageRow extends PgEventRow {
  readonly wanted: boolean;
}
