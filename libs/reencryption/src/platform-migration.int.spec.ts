import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dataKeyStream, decodeDataKeyEvent } from '@cmk/domain';
import { openSqliteEventStore, type EventStore } from '@cmk/eventstore';
import { createKeyProviders, describeDependents, platformKekRef, type KeyProviders } from '@cmk/key-providers';
import { SecretsService } from '@cmk/secrets';
import { legacyDataKeys, migrateLegacyPlatformDataKeys, PLATFORM_MIGRATION_ID, type PlatformMigrationProgress } from './platform-migration';

const FIXTURE = resolve(__dirname, '../test-fixtures/store-before-org-keys');

interface FixtureSecret {
  org: string;
  scope: string;
  value: string;
  ciphertext: string;
}

/** A data directory written by the release before org platform keys, opened by today's code. */
describe('migrating a store written before org platform keys', () => {
  let dir: string;
  let store: EventStore;
  let providers: KeyProviders;
  const secrets = (JSON.parse(readFileSync(join(FIXTURE, 'secrets.json'), 'utf8')) as { secrets: FixtureSecret[] }).secrets;
  const byOrg = (org: string) => secrets.filter((s) => s.org === org);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmk-migration-'));
    cpSync(FIXTURE, dir, { recursive: true });
    store = await openSqliteEventStore({ path: join(dir, 'events.sqlite') });
    providers = await createKeyProviders({ dataDir: dir, publicUrl: 'http://127.0.0.1:9' });
  });
  afterAll(async () => {
    providers?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const decryptAll = async () => {
    for (const org of ['legacy-org', 'legacy-other']) {
      expect(await new SecretsService(store, providers.registry).decrypt(org, byOrg(org).map((s) => s.ciphertext))).toEqual(byOrg(org).map((s) => s.value));
    }
  };
  const currentKekRefs = async () => {
    const refs: string[] = [];
    for (const secret of secrets) {
      const dataKeyId = secret.ciphertext.split('.')[1];
      const events = (await store.readStream(dataKeyStream(dataKeyId))).map(decodeDataKeyEvent);
      const wraps = events.flatMap((event) => (event.type === 'DataKeyUseReserved' ? [] : [event]));
      refs.push(wraps.at(-1)?.data.kekRef ?? 'missing');
    }
    return refs;
  };

  it('decrypts the old data keys as they are, migrates them under org platform keys with progress, idempotently', async () => {
    expect(secrets).toHaveLength(7);
    await decryptAll();
    expect((await currentKekRefs()).sort()).toEqual([...Array(6).fill('platform:v1'), 'platform:v2']);
    // The log is scanned a page at a time (only legacy ids kept): any page size finds the same keys.
    const legacyIds = secrets.map((secret) => secret.ciphertext.split('.')[1]).sort();
    for (const pageSize of [1, 2, 3, 1_000]) expect((await legacyDataKeys(store, pageSize)).sort()).toEqual([...new Set(legacyIds)]);

    const progress: PlatformMigrationProgress[] = [];
    const result = await migrateLegacyPlatformDataKeys(store, providers.registry, { progressEvery: 2, concurrency: 2, onProgress: (p) => progress.push(p) });
    expect(result).toEqual({ total: 7, migrated: 7, skipped: 0, failed: 0 });
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.at(-1)).toEqual(result);

    // Each org under its own generation 1, recorded platform → platform under the migration's id.
    expect(await currentKekRefs()).toEqual(Array(7).fill('platform-org:g1'));
    const events = (await store.readStream(dataKeyStream(secrets[0].ciphertext.split('.')[1]))).map(decodeDataKeyEvent);
    expect(events.at(-1)).toMatchObject({ type: 'DataKeyRewrapped', data: { from: 'platform', to: 'platform', reencryptionId: PLATFORM_MIGRATION_ID } });
    expect((await providers.orgKeys.generations('legacy-org')).map((g) => g.status)).toEqual(['live']);
    expect((await providers.orgKeys.generations('legacy-other')).map((g) => g.status)).toEqual(['live']);

    // A fresh process decrypts everything; a second run finds nothing to do.
    await decryptAll();
    expect(await migrateLegacyPlatformDataKeys(store, providers.registry)).toEqual({ total: 0, migrated: 0, skipped: 0, failed: 0 });

    // Org keys are made under the newest master version: version 1 has no dependent left
    // (retirable, which makes its copies in old events noise); version 2 wraps both org keys.
    const dependentsOf = async (version: number) => {
      const kekRef = platformKekRef(version);
      return describeDependents(kekRef, { orgKeys: (await providers.orgKeys.store.listLive()).filter((k) => k.kekRef === kekRef), dataKeys: [] });
    };
    expect(await dependentsOf(1)).toBeUndefined();
    expect(await dependentsOf(2)).toContain('legacy-org generation 1, legacy-other generation 1');
  });
});
