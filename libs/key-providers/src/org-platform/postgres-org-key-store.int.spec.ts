import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
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
});
