import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import type { NewOrgKey, OrgKeyRecord, OrgKeyRef, OrgPlatformKeyStore } from './org-key-store';

/** The file beside the event store in the data directory. */
export const ORG_KEY_FILE = 'org-platform-keys.sqlite';

interface Row {
  org_id: string;
  generation: number;
  wrapped: Buffer | null;
  kek_ref: string | null;
  created_at: string;
  destroyed_at: string | null;
}

/**
 * Org platform keys in their own SQLite file (not the event store's: that one is append-only by
 * design and backed up as a log). `secure_delete` makes SQLite overwrite freed cells with zeros,
 * and after each destruction a `wal_checkpoint(TRUNCATE)` copies the zeroed pages into the main
 * file and empties the WAL, so the old page image does not linger there either. Destroying keeps
 * the row (without key bytes) so a generation number is never reused.
 */
export class SqliteOrgKeyStore implements OrgPlatformKeyStore {
  private constructor(private readonly db: Db) {}

  static open(path: string): SqliteOrgKeyStore {
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('secure_delete = ON');
    db.pragma('busy_timeout = 5000');
    db.exec(`CREATE TABLE IF NOT EXISTS org_platform_keys (
      org_id       TEXT    NOT NULL,
      generation   INTEGER NOT NULL,
      wrapped      BLOB,
      kek_ref      TEXT,
      created_at   TEXT    NOT NULL,
      destroyed_at TEXT,
      PRIMARY KEY (org_id, generation)
    )`);
    return new SqliteOrgKeyStore(db);
  }

  async create(key: NewOrgKey): Promise<boolean> {
    const result = this.db
      .prepare('INSERT OR IGNORE INTO org_platform_keys (org_id, generation, wrapped, kek_ref, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(key.orgId, key.generation, key.wrapped, key.kekRef, key.createdAt);
    return result.changes === 1;
  }

  async get(orgId: string, generation: number): Promise<OrgKeyRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM org_platform_keys WHERE org_id = ? AND generation = ?').get(orgId, generation) as Row | undefined;
    return row && toRecord(row);
  }

  async list(orgId: string): Promise<OrgKeyRecord[]> {
    const rows = this.db.prepare('SELECT * FROM org_platform_keys WHERE org_id = ? ORDER BY generation').all(orgId) as Row[];
    return rows.map(toRecord);
  }

  async destroy(orgId: string, generation: number, destroyedAt: string): Promise<void> {
    this.db
      .prepare('UPDATE org_platform_keys SET wrapped = NULL, kek_ref = NULL, destroyed_at = COALESCE(destroyed_at, ?) WHERE org_id = ? AND generation = ?')
      .run(destroyedAt, orgId, generation);
    this.checkpoint();
  }

  async rewrap(orgId: string, generation: number, wrapped: Buffer, kekRef: string): Promise<boolean> {
    const result = this.db
      .prepare('UPDATE org_platform_keys SET wrapped = ?, kek_ref = ? WHERE org_id = ? AND generation = ? AND destroyed_at IS NULL')
      .run(wrapped, kekRef, orgId, generation);
    // The form under the old master version is now garbage: do not leave it in the WAL either.
    this.checkpoint();
    return result.changes === 1;
  }

  async listLive(): Promise<OrgKeyRef[]> {
    const rows = this.db.prepare('SELECT org_id, generation, kek_ref FROM org_platform_keys WHERE destroyed_at IS NULL ORDER BY org_id, generation').all() as Row[];
    return rows.map((row) => ({ orgId: row.org_id, generation: row.generation, kekRef: row.kek_ref ?? '' }));
  }

  async close(): Promise<void> {
    this.db.close();
  }

  /**
   * A reader in another process (the api beside the worker) can hold the WAL open, making
   * TRUNCATE answer busy; readers are short, so try until it completes or the budget runs out.
   */
  private checkpoint(): void {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
      if (result?.busy === 0) return;
    }
    throw new Error('The org platform key store could not checkpoint its WAL after destroying a key; the destruction will be retried');
  }
}

function toRecord(row: Row): OrgKeyRecord {
  if (row.destroyed_at !== null || row.wrapped === null || row.kek_ref === null) {
    return { status: 'destroyed', orgId: row.org_id, generation: row.generation, destroyedAt: row.destroyed_at ?? row.created_at };
  }
  return { status: 'live', orgId: row.org_id, generation: row.generation, wrapped: row.wrapped, kekRef: row.kek_ref, createdAt: row.created_at };
}
