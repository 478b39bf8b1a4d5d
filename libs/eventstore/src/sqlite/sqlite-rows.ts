import type { Database, Statement } from 'better-sqlite3';
import type { JsonObject, RecordedEvent, Position } from '@cmk/eventstore/port';

/** A row of `events` as read with safe integers (every INTEGER column is a bigint). */
export interface EventRow {
  readonly seq: bigint;
  readonly stream_id: string;
  readonly revision: bigint;
  readonly event_id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
  readonly created: bigint;
}

export interface StreamTipRow {
  readonly seq: bigint;
  readonly revision: bigint;
}

export interface IdMatchRow extends StreamTipRow {
  readonly type: string;
}

const COLUMNS = 'seq, stream_id, revision, event_id, type, data, metadata, created';

/** SQLite's largest integer: the open upper bound for "from the end" reads. */
export const MAX_SEQ = 9_223_372_036_854_775_807n;
/** `LIMIT -1` is SQLite for "no limit". */
export const NO_LIMIT = -1;

export function positionOf(seq: bigint): Position {
  return { commit: seq, prepare: seq };
}

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    streamId: row.stream_id,
    id: row.event_id,
    type: row.type,
    revision: row.revision,
    position: positionOf(row.seq),
    data: JSON.parse(row.data) as JsonObject,
    metadata: JSON.parse(row.metadata) as JsonObject,
    created: new Date(Number(row.created)),
  };
}

/** The named parameters of `EventStatements.filteredAfter`: the bounds, the limit, the prefixes as `p0`, `p1`, …. */
export type FilteredPageParameters = Record<string, bigint | number | string>;

export function filteredPageParameters(prefixes: readonly string[], after: bigint, bound: bigint, limit: number): FilteredPageParameters {
  const parameters: FilteredPageParameters = { after, bound, limit };
  prefixes.forEach((prefix, i) => (parameters[`p${i}`] = prefix));
  return parameters;
}

/** Every statement the adapter runs, prepared once per connection. */
export class EventStatements {
  readonly streamTip: Statement<[string], StreamTipRow>;
  readonly findId: Statement<[string, string], IdMatchRow>;
  readonly insert: Statement<[string, bigint, string, string, string, string, number]>;
  readonly streamForwards: Statement<[string, bigint, number], EventRow>;
  readonly streamBackwards: Statement<[string, bigint, number], EventRow>;
  readonly allForwards: Statement<[bigint, number], EventRow>;
  readonly allBackwards: Statement<[bigint, number], EventRow>;
  readonly allAfter: Statement<[bigint, number], EventRow>;
  readonly head: Statement<[], { seq: bigint | null }>;
  private readonly filtered = new Map<number, Statement<[FilteredPageParameters], EventRow>>();

  constructor(private readonly db: Database) {
    const columns = COLUMNS;
    this.streamTip = db.prepare('SELECT seq, revision FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1');
    this.findId = db.prepare('SELECT seq, revision, type FROM events WHERE stream_id = ? AND event_id = ?');
    this.insert = db.prepare(
      'INSERT INTO events (stream_id, revision, event_id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.streamForwards = db.prepare(
      `SELECT ${columns} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision ASC LIMIT ?`,
    );
    this.streamBackwards = db.prepare(
      `SELECT ${columns} FROM events WHERE stream_id = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`,
    );
    this.allForwards = db.prepare(`SELECT ${columns} FROM events WHERE seq >= ? ORDER BY seq ASC LIMIT ?`);
    this.allBackwards = db.prepare(`SELECT ${columns} FROM events WHERE seq <= ? ORDER BY seq DESC LIMIT ?`);
    this.allAfter = db.prepare(`SELECT ${columns} FROM events WHERE seq > ? ORDER BY seq ASC LIMIT ?`);
    this.head = db.prepare('SELECT MAX(seq) AS seq FROM events');
  }

  /**
   * Up to `limit` rows with `after < seq <= bound` whose stream name starts with one of
   * `prefixCount` prefixes (parameters `p0`, `p1`, …; see `filteredPageParameters`). Prefixes are compared by SQLite
   * (`substr` and `length` both count characters), so rows the filter does not want are never
   * returned. No prefix at all wants nothing, as in the other adapters.
   */
  filteredAfter(prefixCount: number): Statement<[FilteredPageParameters], EventRow> {
    let statement = this.filtered.get(prefixCount);
    if (!statement) {
      const wanted = prefixCount === 0 ? '0' : Array.from({ length: prefixCount }, (_, i) => `substr(stream_id, 1, length(@p${i})) = @p${i}`).join(' OR ');
      statement = this.db.prepare(`SELECT ${COLUMNS} FROM events WHERE seq > @after AND seq <= @bound AND (${wanted}) ORDER BY seq ASC LIMIT @limit`);
      this.filtered.set(prefixCount, statement);
    }
    return statement;
  }
}
