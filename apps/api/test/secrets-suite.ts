import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { dataKeyStream, decodeDataKeyEvent, type DataKeyIssued } from '@cmk/domain';
import { Client } from 'pg';
import type { EventStore } from '@cmk/eventstore';
import { createKeyProviders, DataKeyIdKey, type KeyProviders } from '@cmk/key-providers';
import { dataKeyIdFor, legacyDataKeyIdFor, SecretsService } from '@cmk/secrets';
import { waitFor, type HttpClient } from '@cmk/testing';
import { E2eEnvironment, type DemoKey, type E2eEventStore } from './e2e-environment';
import { KeyringTestHelper } from './reencryption-test-helper';

interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}
interface Summary {
  wrappingKeys: { keyId: string; name: string; isDefault: boolean; dataKeys: number }[];
  totalDataKeys: number;
}

const secrets = (org: string) => `/api/orgs/${org}/secrets`;
const cmk = (org: string) => `/api/orgs/${org}/customer-managed-keys`;
const addBody = (name: string, key: DemoKey) => ({ name, type: 'aws_kms', awsKms: { roleArn: key.roleArn, keyArn: key.keyArn } });

/**
 * Secrets over HTTP on one event store (`secrets.e2e.spec.ts`: SQLite; `secrets.postgres.e2e.spec.ts`:
 * PostgreSQL), including the scan for plaintext data keys in everything the store holds.
 */
export function secretsSuite(eventStore: Exclude<E2eEventStore, 'esdb'>): void {
  describe(`secrets over HTTP (api process, ${eventStore}, real Redis, KMS emulator)`, () => {
    let env: E2eEnvironment;
    let runs: KeyringTestHelper;
    let store: EventStore;
    /** Every (org, scope) this file encrypted under: the leak scan checks all their data keys. */
    const used: { org: string; scope: string; ciphertext: string }[] = [];

    beforeAll(async () => {
      env = await E2eEnvironment.start({ eventStore });
      runs = await KeyringTestHelper.open(await env.openStore());
      store = await env.openStore();
    });

    afterAll(async () => {
      await store?.close();
      await runs?.close();
      await env?.stop();
    });

    async function encrypt(client: HttpClient, org: string, scope: string, values: string[]): Promise<string[]> {
      const response = await client.post<{ ciphertexts: string[] }>(`${secrets(org)}/encrypt`, { scope, values });
      expect([response.status, response.body]).toEqual([200, expect.objectContaining({ ciphertexts: expect.any(Array) })]);
      used.push({ org, scope, ciphertext: response.body.ciphertexts[0] });
      return response.body.ciphertexts;
    }

    async function decrypt(client: HttpClient, org: string, ciphertexts: string[]): Promise<string[]> {
      const response = await client.post<{ values: string[] }>(`${secrets(org)}/decrypt`, { ciphertexts });
      expect([response.status, response.body]).toEqual([200, expect.objectContaining({ values: expect.any(Array) })]);
      return response.body.values;
    }

    async function issued(org: string, scope: string): Promise<DataKeyIssued> {
      // The api made the data dir's id key on start: generation 0 of the scope has this id.
      const idKey = await DataKeyIdKey.open({ dataDir: env.dataDir });
      const [first] = (await store.readStream(dataKeyStream(dataKeyIdFor(idKey, org, scope, 0)))).map(decodeDataKeyEvent);
      if (first?.type !== 'DataKeyIssued') throw new Error(`no data key for ${org}/${scope}`);
      return first;
    }

    it('round-trips values for members and admins, in order, with validation and limits', async () => {
      const admin = await env.orgWithToken('sec-basic', 'team');
      const member = await env.tokenFor('sec-basic', 'member');
      const values = ['db-password', '', 'ünïcödé ✓ 🔑', 'x'.repeat(10_000)];
      const ciphertexts = await encrypt(member, 'sec-basic', 'env/prod', values);
      expect(ciphertexts[0]).toMatch(/^v1\.dk[0-9a-f]{40}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
      expect(await decrypt(admin, 'sec-basic', ciphertexts)).toEqual(values);
      expect(await decrypt(member, 'sec-basic', [...ciphertexts].reverse())).toEqual([...values].reverse());

      const badScope = await member.post<ErrorBody>(`${secrets('sec-basic')}/encrypt`, { scope: 'no spaces', values: ['x'] });
      expect([badScope.status, badScope.body.error.code, Object.keys(badScope.body.error.details['fields'] as object)]).toEqual([400, 'VALIDATION_FAILED', ['scope']]);
      const tooMany = await member.post<ErrorBody>(`${secrets('sec-basic')}/encrypt`, { scope: 'a', values: Array.from({ length: 1001 }, () => 'v') });
      expect([tooMany.status, tooMany.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
      const tooBig = await member.post<ErrorBody>(`${secrets('sec-basic')}/encrypt`, { scope: 'a', values: ['y'.repeat(600_000), 'z'.repeat(600_000)] });
      expect([tooBig.status, tooBig.body.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
      const notStrings = await member.post<ErrorBody>(`${secrets('sec-basic')}/decrypt`, { ciphertexts: [1, 2] });
      expect([notStrings.status, notStrings.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect((await env.anonymous().post(`${secrets('sec-basic')}/encrypt`, { scope: 'a', values: ['x'] })).status).toBe(401);
    });

    it('keeps tenants apart: another org token gets 404, another org ciphertext gets 400', async () => {
      const a = await env.orgWithToken('sec-ten-a', 'team', 'member');
      const b = await env.orgWithToken('sec-ten-b', 'team', 'member');
      const [ciphertext] = await encrypt(a, 'sec-ten-a', 'shared-name', ['only for a']);
      await encrypt(b, 'sec-ten-b', 'shared-name', ['b has the same scope name']);
      const foreignToken = await b.post<ErrorBody>(`${secrets('sec-ten-a')}/decrypt`, { ciphertexts: [ciphertext] });
      expect([foreignToken.status, foreignToken.body.error.code]).toEqual([404, 'ORG_NOT_FOUND']);
      const foreignCiphertext = await b.post<ErrorBody>(`${secrets('sec-ten-b')}/decrypt`, { ciphertexts: [ciphertext] });
      expect([foreignCiphertext.status, foreignCiphertext.body.error.code]).toEqual([400, 'DATA_KEY_NOT_FOUND']);
      expect(JSON.stringify(foreignCiphertext.body)).not.toContain('only for a');
    });

    it('detects tampering, truncation and unknown versions with stable 400 codes', async () => {
      const client = await env.orgWithToken('sec-tamper', 'team', 'member');
      const [ciphertext] = await encrypt(client, 'sec-tamper', 'env', ['tamper-me']);
      const last = ciphertext[ciphertext.length - 5];
      const cases: [string, string][] = [
        [ciphertext.slice(0, -5) + (last === 'A' ? 'B' : 'A') + ciphertext.slice(-4), 'CIPHERTEXT_INVALID'],
        [ciphertext.slice(0, 60), 'CIPHERTEXT_MALFORMED'],
        [ciphertext.replace(/^v1\./, 'v9.'), 'CIPHERTEXT_UNSUPPORTED_VERSION'],
        ['not a ciphertext', 'CIPHERTEXT_MALFORMED'],
        [ciphertext.replace(/dk[0-9a-f]{40}/, legacyDataKeyIdFor('sec-tamper', 'never-used')), 'DATA_KEY_NOT_FOUND'],
      ];
      for (const [text, code] of cases) {
        const response = await client.post<ErrorBody>(`${secrets('sec-tamper')}/decrypt`, { ciphertexts: [ciphertext, text] });
        expect([response.status, response.body.error.code]).toEqual([400, code]);
        expect(JSON.stringify(response.body)).not.toContain('tamper-me');
      }
    });

    it('wraps new data keys with the default key, and every older secret still decrypts after each key change', async () => {
      const org = 'sec-keys';
      const admin = await env.orgWithToken(org, 'enterprise');
      const member = await env.tokenFor(org, 'member');
      const secretsSoFar: { ciphertexts: string[]; values: string[] }[] = [];
      const encryptStep = async (scope: string) => {
        const values = [`${scope}-one`, `${scope}-two`];
        secretsSoFar.push({ ciphertexts: await encrypt(member, org, scope, values), values });
      };
      const allStillDecrypt = async () => {
        for (const { ciphertexts, values } of secretsSoFar) expect(await decrypt(member, org, ciphertexts)).toEqual(values);
      };

      await encryptStep('before-cmk');
      // Under the org's own platform key (generation 1), which the platform master key wraps.
      expect((await issued(org, 'before-cmk')).data).toMatchObject({ wrappedBy: 'platform', kekRef: expect.stringMatching(/^platform-org:g\d+$/) });

      const first = env.demoKey(org);
      const added = await admin.post<{ key: { id: string }; reencryptionId: string }>(cmk(org), addBody('First', first));
      expect(added.status).toBe(201);
      const firstId = added.body.key.id;
      await allStillDecrypt(); // the run is still "running": the data key is still under the platform key
      await runs.completeRun(org, added.body.reencryptionId);

      const generateBefore = env.kms.stats().byKeyArn[first.keyArn] ?? 0;
      await encryptStep('after-first-cmk');
      expect((await issued(org, 'after-first-cmk')).data).toMatchObject({ wrappedBy: firstId, kekRef: first.keyArn });
      expect(env.kms.stats().byKeyArn[first.keyArn]).toBeGreaterThan(generateBefore);
      await allStillDecrypt();

      const second = env.demoKey(org);
      const secondAdded = await admin.post<{ key: { id: string } }>(cmk(org), addBody('Second', second));
      const secondId = secondAdded.body.key.id;
      expect((await admin.post(`${cmk(org)}/${secondId}/set-default`)).status).toBe(200);
      await encryptStep('after-second-default');
      expect((await issued(org, 'after-second-default')).data).toMatchObject({ wrappedBy: secondId, kekRef: second.keyArn });

      const disabled = await admin.post<{ reencryptionId: string }>(`${cmk(org)}/${firstId}/disable`, { destID: secondId });
      expect(disabled.status).toBe(202);
      await allStillDecrypt(); // disabling: the first key still unwraps its data keys
      await runs.completeRun(org, disabled.body.reencryptionId);
      await allStillDecrypt();

      const all = await admin.post<{ reencryptionId: string }>(`${cmk(org)}/disable-all`);
      expect(all.status).toBe(202);
      await runs.completeRun(org, all.body.reencryptionId);
      await encryptStep('after-disable-all');
      expect((await issued(org, 'after-disable-all')).data).toMatchObject({ wrappedBy: 'platform' });
      await allStillDecrypt();

      const summary = await waitFor(
        async () => {
          const response = await admin.get<Summary>(`/api/orgs/${org}/data-keys/summary`);
          return response.body.totalDataKeys === 4 ? response.body : undefined;
        },
        { description: 'data-key index caught up' },
      );
      const count = (keyId: string) => summary.wrappingKeys.find((k) => k.keyId === keyId)?.dataKeys;
      expect([count('platform'), count(firstId), count(secondId)]).toEqual([2, 1, 1]);
      expect(summary.wrappingKeys.map((k) => k.name)).toEqual(['Platform managed key', 'First', 'Second']);
      expect(summary.wrappingKeys.find((k) => k.isDefault)?.keyId).toBe('platform');
      expect((await member.get(`/api/orgs/${org}/data-keys/summary`)).status).toBe(403);
    });

    describe('no plaintext data key anywhere at rest', () => {
      let providers: KeyProviders;

      afterAll(() => providers?.close());

      it('finds none of the created data keys (raw, hex, base64) in the event store file, its rows, or Redis', async () => {
        // The test process unwraps every data key itself, from the same store and key material.
        providers = await createKeyProviders({ dataDir: env.dataDir, publicUrl: env.baseUrl, aws: { kmsEndpoint: env.kms.url, stsEndpoint: env.kms.url }, orgKeyStoreUrl: env.postgres?.url });
        const service = new SecretsService(store, providers.registry);
        const keys: Buffer[] = [];
        for (const { org, scope, ciphertext } of used) {
          await service.decrypt(org, [ciphertext]);
          const cached = service.cache.get(org, ciphertext.split('.')[1]);
          if (!cached) throw new Error(`data key of ${org}/${scope} not unwrapped`);
          keys.push(Buffer.from(cached.key));
        }
        expect(keys.length).toBeGreaterThanOrEqual(8);
        const needles = keys.flatMap((key) => [key, Buffer.from(key.toString('hex')), Buffer.from(key.toString('hex').toUpperCase()), Buffer.from(key.toString('base64')), Buffer.from(key.toString('base64url'))]);

        const haystacks = eventStore === 'postgres' ? await dumpPostgres(env) : dumpSqlite(env.dataDir);
        haystacks.push(await dumpRedis(env.redis.url));

        for (const haystack of haystacks) {
          for (const needle of needles) expect(haystack.includes(needle)).toBe(false);
        }
      });
    });
  });
}

/** Every event row, then the SQLite file and its WAL as bytes. */
function dumpSqlite(dataDir: string): Buffer[] {
  const haystacks: Buffer[] = [];
  const db = new Database(join(dataDir, 'events.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT stream_id, type, data, metadata FROM events').all() as Record<string, string>[];
    expect(rows.some((row) => row['type'] === 'DataKeyIssued')).toBe(true);
    haystacks.push(Buffer.from(rows.map((row) => Object.values(row).join('\n')).join('\n')));
  } finally {
    db.close();
  }
  for (const file of ['events.sqlite', 'events.sqlite-wal', 'org-platform-keys.sqlite', 'org-platform-keys.sqlite-wal'].map((name) => join(dataDir, name))) {
    if (existsSync(file)) haystacks.push(readFileSync(file));
  }
  return haystacks;
}

/**
 * Every event row as text, then, after a CHECKPOINT, the table's and its TOAST table's files as
 * the server wrote them (when the server runs on this machine, as in CI).
 */
async function dumpPostgres(env: E2eEnvironment): Promise<Buffer[]> {
  const client = new Client({ connectionString: env.postgres?.url });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, string>>('SELECT stream_id, type, data::text AS data, metadata::text AS metadata FROM cmk_events');
    expect(rows.some((row) => row['type'] === 'DataKeyIssued')).toBe(true);
    const haystacks = [Buffer.from(rows.map((row) => Object.values(row).join('\n')).join('\n'))];
    await client.query('CHECKPOINT');
    const files = await client.query<{ path: string }>(
      `SELECT current_setting('data_directory') || '/' || pg_relation_filepath(oid) AS path FROM pg_class WHERE oid IN ('cmk_events'::regclass, (SELECT reltoastrelid FROM pg_class WHERE oid = 'cmk_events'::regclass))`,
    );
    for (const { path } of files.rows) if (existsSync(path)) haystacks.push(readFileSync(path));
    return haystacks;
  } finally {
    await client.end();
  }
}

/** Every key and value in Redis, whatever the type. */
async function dumpRedis(url: string): Promise<Buffer> {
  const redis = new Redis(url);
  const parts: Buffer[] = [];
  try {
    for (const key of await redis.keys('*')) {
      parts.push(Buffer.from(key));
      const type = await redis.type(key);
      const values: (string | Buffer)[] =
        type === 'string'
          ? [(await redis.getBuffer(key)) ?? Buffer.alloc(0)]
          : type === 'set'
            ? await redis.smembers(key)
            : type === 'zset'
              ? await redis.zrange(key, '0', '-1')
              : type === 'hash'
                ? Object.entries(await redis.hgetall(key)).flat()
                : type === 'list'
                  ? await redis.lrange(key, 0, -1)
                  : type === 'stream'
                    ? [JSON.stringify(await redis.xrange(key, '-', '+'))]
                    : [];
      parts.push(...values.map((value) => (typeof value === 'string' ? Buffer.from(value) : value)));
    }
    expect(parts.length).toBeGreaterThan(0);
  } finally {
    redis.disconnect();
  }
  return Buffer.concat(parts);
}
