import { Pool, type QueryResult, type QueryResultRow } from 'pg';
import { withRetries, type RetryOptions } from '@cmk/eventstore';
import type { NewOrgKey, OrgKeyRecord, OrgKeyRef, OrgPlatformKeyStore } from './org-key-store';

/** Advisory lock (class `'cmk\0'`, key 3) serialising this table's creation across processes. */
const SCHEMA_LOCK = [0x636d6b00, 3];

interface Row {
  org_id: string;
  generation: number;
  wrapped: Buffer | null;
  kek_ref: string | null;
  created_at: string;
  destroyed_at: string | null;
}

export interface PostgresOrgKeyStoreOptions {
  /** The same database as the event store (`EVENTSTORE_URL`); the table is `cmk_org_platform_keys`. */
  readonly url: string;
  /** Org keys are few and read rarely (cached by the caller). Default 2 connections. */
  readonly poolMax?: number;
  /**
   * Repeats of a statement after a transient failure (the same policy as the event store's).
   * When they run out the failure is an `EventStoreUnavailableError`: the table lives in the
   * event store's database, so its outage is that dependency's outage, not an unknown error.
   */
  readonly retry?: RetryOptions;
}

/**
 * Org platform keys in PostgreSQL, for deployments whose event store is PostgreSQL.
 *
 * An UPDATE or DELETE in PostgreSQL leaves the old row version in the table file (MVCC), and a
 * plain VACUUM only marks its space free without overwriting it. So after a destruction (and
 * after a rewrap, whose old form is garbage too) the table is rewritten with `VACUUM FULL`:
 * the new file holds only live rows, and the old file is unlinked at once. What remains, and is
 * documented in the README: the WAL segments written since (until the server recycles them),
 * WAL archives and base backups (until their retention ends), and filesystem blocks the unlinked
 * file occupied. Destroying keeps the row (without key bytes) so a generation is never reused.
 */
export class PostgresOrgKeyStore implements OrgPlatformKeyStore {
  private constructor(
    private readonly pool: Pool,
    private readonly retry: RetryOptions,
  ) {}

  static async open(options: PostgresOrgKeyStoreOptions): Promise<PostgresOrgKeyStore> {
    const pool = new Pool({ connectionString: options.url, max: options.poolMax ?? 2, application_name: 'cmk-org-keys' });
    pool.on('error', () => undefined);
    const retry = options.retry ?? {};
    let client;
    try {
      client = await withRetries('connecting for the org platform keys', retry, () => pool.connect());
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', SCHEMA_LOCK);
      await client.query(`CREATE TABLE IF NOT EXISTS cmk_org_platform_keys (
        org_id       text    NOT NULL,
        generation   integer NOT NULL,
        wrapped      bytea,
        kek_ref      text,
        created_at   text    NOT NULL,
        destroyed_at text,
        PRIMARY KEY (org_id, generation))`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
      await pool.end();
      throw error;
    }
    client.release();
    return new PostgresOrgKeyStore(pool, retry);
  }

  async create(key: NewOrgKey): Promise<boolean> {
    const result = await this.query(
      'INSERT INTO cmk_org_platform_keys (org_id, generation, wrapped, kek_ref, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [key.orgId, key.generation, key.wrapped, key.kekRef, key.createdAt],
    );
    return result.rowCount === 1;
  }

  async get(orgId: string, generation: number): Promise<OrgKeyRecord | undefined> {
    const { rows } = await this.query<Row>('SELECT * FROM cmk_org_platform_keys WHERE org_id = $1 AND generation = $2', [orgId, generation]);
    return rows[0] && toRecord(rows[0]);
  }

  async list(orgId: string): Promise<OrgKeyRecord[]> {
    const { rows } = await this.query<Row>('SELECT * FROM cmk_org_platform_keys WHERE org_id = $1 ORDER BY generation', [orgId]);
    return rows.map(toRecord);
  }

  async destroy(orgId: string, generation: number, destroyedAt: string): Promise<void> {
    await this.query(
      'UPDATE cmk_org_platform_keys SET wrapped = NULL, kek_ref = NULL, destroyed_at = COALESCE(destroyed_at, $1) WHERE org_id = $2 AND generation = $3',
      [destroyedAt, orgId, generation],
    );
    await this.rewriteTable();
  }

  async rewrap(orgId: string, generation: number, wrapped: Buffer, kekRef: string): Promise<boolean> {
    const result = await this.query(
      'UPDATE cmk_org_platform_keys SET wrapped = $1, kek_ref = $2 WHERE org_id = $3 AND generation = $4 AND destroyed_at IS NULL',
      [wrapped, kekRef, orgId, generation],
    );
    // The form under the old master version is garbage now: leave no dead row version holding it.
    await this.rewriteTable();
    return result.rowCount === 1;
  }

  async listLive(): Promise<OrgKeyRef[]> {
    const { rows } = await this.query<Row>('SELECT org_id, generation, kek_ref FROM cmk_org_platform_keys WHERE destroyed_at IS NULL ORDER BY org_id, generation');
    return rows.map((row) => ({ orgId: row.org_id, generation: row.generation, kekRef: row.kek_ref ?? '' }));
  }

  /**
   * Every statement here is safe to repeat: inserts do nothing on conflict (a repeat of one that
   * committed reports "not created", and callers then read the row), updates and the rewrite
   * are idempotent.
   */
  private query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
    return withRetries('the org platform keys table', this.retry, () => this.pool.query<R>(text, values));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * `VACUUM FULL` writes a new file with the live rows only and drops the old one. It locks the
   * (tiny) table for the moment it takes; readers wait, nothing fails.
   */
  private async rewriteTable(): Promise<void> {
    await this.query('VACUUM FULL cmk_org_platform_keys');
  }
}

function toRecord(row: Row): OrgKeyRecord {
  if (row.destroyed_at !== null || row.wrapped === null || row.kek_ref === null) {
    return { status: 'destroyed', orgId: row.org_id, generation: row.generation, destroyedAt: row.destroyed_at ?? row.created_at };
  }
  return { status: 'live', orgId: row.org_id, generation: row.generation, wrapped: row.wrapped, kekRef: row.kek_ref, createdAt: row.created_at };
}
