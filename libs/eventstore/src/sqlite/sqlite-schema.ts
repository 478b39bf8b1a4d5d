import type { Database } from 'better-sqlite3';

/**
 * Schema migrations, applied in order; the database's `PRAGMA user_version` is how many ran.
 * Append only: never edit a shipped step, add the next one.
 *
 * `seq` is the global position. It is an alias of the rowid, assigned under SQLite's single
 * write lock, so `seq` order is commit order: a poller reading `seq > cursor` can never miss a
 * row that commits later with a smaller `seq`. AUTOINCREMENT keeps numbers from being reused.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     seq       INTEGER PRIMARY KEY AUTOINCREMENT,
     stream_id TEXT    NOT NULL,
     revision  INTEGER NOT NULL,
     event_id  TEXT    NOT NULL,
     type      TEXT    NOT NULL,
     data      TEXT    NOT NULL,
     metadata  TEXT    NOT NULL,
     created   INTEGER NOT NULL
   );
   CREATE UNIQUE INDEX events_by_stream_revision ON events (stream_id, revision);
   CREATE UNIQUE INDEX events_by_stream_event_id ON events (stream_id, event_id);`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * WAL lets readers in any process run beside one writer; `synchronous=FULL` fsyncs the WAL on
 * every commit so an append that resolved survives a crash of the process (and of the machine).
 */
export function configureConnection(db: Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
}

/**
 * Brings the schema to `SCHEMA_VERSION`. Runs under `BEGIN IMMEDIATE`, so two processes opening
 * a fresh file at once migrate it exactly once. Refuses a file written by a newer schema.
 */
export function migrate(db: Database): void {
  db.transaction(() => {
    const current = Number(db.pragma('user_version', { simple: true }));
    if (current > SCHEMA_VERSION) {
      throw new Error(`Event store schema version ${current} is newer than this build supports (${SCHEMA_VERSION})`);
    }
    for (let version = current; version < SCHEMA_VERSION; version += 1) db.exec(MIGRATIONS[version]);
    if (current !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
