import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * The server tests use: `CMK_TEST_POSTGRES_URL`, default the local server with trust
 * authentication (`.ci/run` makes sure one answers). Only its `postgres` maintenance database
 * is touched, to create and drop the test's own database.
 */
export function testPostgresAdminUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env['CMK_TEST_POSTGRES_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';
}

/**
 * A database of one test file (or one benchmark run), uniquely named, created empty and dropped
 * by `drop()` (with `FORCE`, so connections a killed app left open do not keep it alive). Tests
 * sharing one server therefore never see each other's events.
 */
export class PostgresTestDatabase {
  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly adminUrl: string,
  ) {}

  static async create(label = 'test'): Promise<PostgresTestDatabase> {
    const adminUrl = testPostgresAdminUrl();
    const safeLabel = label.toLowerCase().replace(/[^a-z0-9]/g, '_').slice(0, 20);
    const name = `cmk_${safeLabel}_${randomBytes(6).toString('hex')}`;
    await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return new PostgresTestDatabase(name, url.toString(), adminUrl);
  }

  /** Drops the database, ending whatever connections are still open to it. */
  /**
   * An outage as the apps see one: the database refuses new connections and every open one is
   * terminated, until `end()` allows connections again (the data stays).
   */
  async interrupt(): Promise<{ end(): Promise<void> }> {
    await withAdmin(this.adminUrl, async (client) => {
      await client.query(`ALTER DATABASE ${this.name} WITH ALLOW_CONNECTIONS false`);
      await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [this.name]);
    });
    return { end: () => withAdmin(this.adminUrl, async (client) => void (await client.query(`ALTER DATABASE ${this.name} WITH ALLOW_CONNECTIONS true`))) };
  }

  async drop(): Promise<void> {
    await withAdmin(this.adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`));
  }
}

async function withAdmin<T>(url: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, application_name: 'cmk-tests' });
  client.on('error', () => undefined);
  await client.connect().catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`No PostgreSQL server answers at ${url.replace(/\/\/([^@/]*)@/, '//***@')} (${reason}); start one (see .ci/run) or set CMK_TEST_POSTGRES_URL`);
  });
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
