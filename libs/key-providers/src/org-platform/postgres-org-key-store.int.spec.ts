import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo } from 'node:net';
import { Client } from 'pg';
import { outageDependency } from '@cmk/runtime';
import { PostgresTestDatabase } from '@cmk/testing';
import { orgKeyStoreContract } from '@cmk/key-providers/testing';
import { PostgresOrgKeyStore } from './postgres-org-key-store';

/**
 * The table's files as the server wrote them, after a CHECKPOINT flushed every dirty page: what
 * a copy of the data directory would hold (the server runs on this machine in CI).
 */
async function tableFiles(url: string): Promise<Buffer> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CHECKPOINT');
    const { rows } = await client.query<{ path: string }>(
      `SELECT current_setting('data_directory') || '/' || pg_relation_filepath(oid) AS path FROM pg_class
        WHERE oid IN ('cmk_org_platform_keys'::regclass, (SELECT reltoastrelid FROM pg_class WHERE oid = 'cmk_org_platform_keys'::regclass))`,
    );
    const files = rows.map((row) => row.path).filter((path) => existsSync(path));
    expect(files.length).toBeGreaterThan(0);
    return Buffer.concat(files.map((path) => readFileSync(path)));
  } finally {
    await client.end();
  }
}

/** Until the server has no backend of the org key store left (terminations are asynchronous). */
async function waitUntilGone(admin: Client): Promise<void> {
  for (;;) {
    const { rows } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'cmk-org-keys'`);
    if (rows[0]?.n === 0) return;
    await admin.query('SELECT pg_sleep(0.01)');
  }
}

describe('PostgresOrgKeyStore', () => {
  let database: PostgresTestDatabase;
  beforeEach(async () => {
    database = await PostgresTestDatabase.create('orgkeys');
  });
  afterEach(() => database.drop());

  orgKeyStoreContract({
    open: () => PostgresOrgKeyStore.open({ url: database.url }),
    rawBytes: () => tableFiles(database.url),
  });

  it('the raw scan does see live key bytes (so its "not found" after destroy means something)', async () => {
    const store = await PostgresOrgKeyStore.open({ url: database.url });
    try {
      const wrapped = randomBytes(60);
      await store.create({ orgId: 'acme', generation: 1, wrapped, kekRef: 'platform:v1', createdAt: '2026-01-01T00:00:00.000Z' });
      expect((await tableFiles(database.url)).includes(wrapped)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('several processes opening the store at once create the table once', async () => {
    const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresOrgKeyStore.open({ url: database.url })));
    try {
      const created = await Promise.all(stores.map((store, i) => store.create({ orgId: 'race', generation: 1, wrapped: randomBytes(60), kekRef: `platform:v${i}`, createdAt: '2026-01-01T00:00:00.000Z' })));
      expect(created.filter(Boolean)).toHaveLength(1);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('repeats a statement whose connection failed', async () => {
    // A proxy in front of the server that can drop new connections, as a failover would.
    let dropping = 0;
    const proxy = createServer((socket) => {
      if (dropping > 0) {
        dropping -= 1;
        socket.destroy();
        return;
      }
      const upstream = connect(5432, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const url = new URL(database.url);
    url.host = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const store = await PostgresOrgKeyStore.open({ url: url.toString(), retry: { initialDelayMs: 10 } });
    try {
      await store.create({ orgId: 'acme', generation: 1, wrapped: randomBytes(60), kekRef: 'platform:v1', createdAt: '2026-01-01T00:00:00.000Z' });
      // The pool's connections end; its next statement needs a new one, and the first two fail.
      const admin = new Client({ connectionString: database.url });
      await admin.connect();
      try {
        await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'cmk-org-keys'`);
        await waitUntilGone(admin);
      } finally {
        await admin.end();
      }
      dropping = 2;
      expect(await store.list('acme')).toEqual([expect.objectContaining({ status: 'live', generation: 1 })]);
      expect(dropping).toBe(0);
    } finally {
      await store.close();
      proxy.close();
    }
  });

  it('an unreachable server is an event store outage once the repeats run out, not an unknown error', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const failure = await PostgresOrgKeyStore.open({ url: `postgres://postgres@127.0.0.1:${port}/nowhere`, retry: { attempts: 2, initialDelayMs: 1 } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ name: 'EventStoreUnavailableError', message: expect.stringContaining('ECONNREFUSED') });
    expect(outageDependency(failure)).toBe('eventstore');
  });
});
