import type { Pool } from 'pg';
import { APPEND_FUNCTION, APPEND_FUNCTION_V2, LOCK_CLASS, MIGRATION_LOCK } from './pg-append-function';

/**
 * Schema migrations, applied in order; `cmk_schema_migrations` records which ran. Append only:
 * never edit a shipped step, add the next one.
 *
 * `seq` is the global position. It is drawn from an identity sequence with CACHE 1 (a cache
 * would hand blocks of numbers to sessions and break "seq order is commit order") inside
 * `cmk_append`, under the append lock. `data`/`metadata` are `json`, not `jsonb`: the store
 * never queries inside them, and `json` keeps the writer's exact text (key order, `\u0000`)
 * without a binary conversion on every write.
 */
const MIGRATIONS: readonly { readonly name: string; readonly sql: string }[] = [
  {
    name: 'events table and append function',
    sql: `
      CREATE TABLE cmk_events (
        seq       bigint GENERATED ALWAYS AS IDENTITY (CACHE 1) PRIMARY KEY,
        stream_id text        NOT NULL,
        revision  bigint      NOT NULL,
        event_id  text        NOT NULL,
        type      text        NOT NULL,
        data      json        NOT NULL,
        metadata  json        NOT NULL,
        created   timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT cmk_events_stream_revision UNIQUE (stream_id, revision),
        CONSTRAINT cmk_events_stream_event_id UNIQUE (stream_id, event_id)
      );
      ${APPEND_FUNCTION}`,
  },
  { name: 'set-based append of a group to distinct streams', sql: APPEND_FUNCTION_V2 },
];

export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** Raised when the database was migrated by a newer build than this one. */
export class SchemaTooNewError extends Error {
  override readonly name = 'SchemaTooNewError';
}

/**
 * Brings the schema to `PG_SCHEMA_VERSION` in one transaction that first takes a
 * transaction-level advisory lock: processes starting at once queue on it, and each one after
 * the first finds the work done. DDL is transactional in PostgreSQL, so a failed step leaves
 * nothing behind. Transaction-level (not session) locks keep this correct behind a pooler in
 * transaction mode as well.
 */
export async function migrate(pool: Pool): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS cmk_schema_migrations (
      version    int PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM cmk_schema_migrations');
    const current = rows[0]?.version ?? 0;
    if (current > PG_SCHEMA_VERSION) {
      throw new SchemaTooNewError(`Event store schema version ${current} is newer than this build supports (${PG_SCHEMA_VERSION})`);
    }
    for (let version = current + 1; version <= PG_SCHEMA_VERSION; version += 1) {
      const step = MIGRATIONS[version - 1];
      await client.query(step.sql);
      await client.query('INSERT INTO cmk_schema_migrations (version, name) VALUES ($1, $2)', [version, step.name]);
    }
    await client.query('COMMIT');
    return PG_SCHEMA_VERSION - current;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
