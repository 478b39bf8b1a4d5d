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

  constructor(db: Database) {
    const columns = 'seq, stream_id, revision, event_id, type, data, metadata, created';
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
}
