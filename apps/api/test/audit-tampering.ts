import Database from 'better-sqlite3';
import { join } from 'node:path';

interface Row {
  seq: number;
  stream_id: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
  created: number;
}

/**
 * What an attacker with write access to the embedded store's file could do, each undone after
 * the check: alter one event's data, delete one event, swap two events' places in the log.
 */
export class SqliteTampering {
  private readonly db: Database.Database;

  constructor(dataDir: string) {
    this.db = new Database(join(dataDir, 'events.sqlite'));
    this.db.pragma('busy_timeout = 5000');
  }

  row(eventId: string): Row {
    const row = this.db.prepare('SELECT * FROM events WHERE event_id = ?').get(eventId) as Row | undefined;
    if (!row) throw new Error(`no event ${eventId}`);
    return row;
  }

  async alter(eventId: string, change: (data: Record<string, unknown>) => Record<string, unknown>, check: () => Promise<void>): Promise<void> {
    const row = this.row(eventId);
    this.db.prepare('UPDATE events SET data = ? WHERE seq = ?').run(JSON.stringify(change(JSON.parse(row.data) as Record<string, unknown>)), row.seq);
    try {
      await check();
    } finally {
      this.db.prepare('UPDATE events SET data = ? WHERE seq = ?').run(row.data, row.seq);
    }
  }

  async remove(eventId: string, check: () => Promise<void>): Promise<void> {
    const row = this.row(eventId);
    this.db.prepare('DELETE FROM events WHERE seq = ?').run(row.seq);
    try {
      await check();
    } finally {
      this.db
        .prepare('INSERT INTO events (seq, stream_id, revision, event_id, type, data, metadata, created) VALUES (@seq, @stream_id, @revision, @event_id, @type, @data, @metadata, @created)')
        .run(row);
    }
  }

  /** Swaps the contents of two rows, so the two events trade places in commit order. */
  async swap(firstId: string, secondId: string, check: () => Promise<void>): Promise<void> {
    const a = this.row(firstId);
    const b = this.row(secondId);
    const put = this.db.prepare('UPDATE events SET stream_id = @stream_id, revision = @revision, event_id = @event_id, type = @type, data = @data, metadata = @metadata WHERE seq = @at');
    const park = this.db.prepare("UPDATE events SET stream_id = 'parked', revision = -seq, event_id = 'parked-' || seq WHERE seq = ?");
    // Park both rows first: (stream, revision) and (stream, event id) are unique.
    const place = this.db.transaction((atA: Row, atB: Row) => {
      park.run(a.seq);
      park.run(b.seq);
      put.run({ ...atA, at: a.seq });
      put.run({ ...atB, at: b.seq });
    });
    place(b, a);
    try {
      await check();
    } finally {
      place(a, b);
    }
  }

  close(): void {
    this.db.close();
  }
}
