import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeDataKeyEvent, type DataKeyEvent, type DataKeyIssued } from '@cmk/domain';
import { openSqliteEventStore } from '@cmk/eventstore';
import { createKeyProviders, LocalPlatformKeyProvider, PlatformMasterKeyring } from '@cmk/key-providers';
import { migrateLegacyPlatformDataKeys } from '@cmk/reencryption';
import { SecretsService } from '@cmk/secrets';
import { retirePlatformVersion } from './retire-platform';

const FIXTURE = resolve(__dirname, '../../../libs/reencryption/test-fixtures/store-before-org-keys');

/**
 * Retiring a platform master version on a store written before org platform keys: refused while
 * data keys are still wrapped directly by it, allowed after the migration, and from then on the
 * old copies in `DataKeyIssued` events open with nothing.
 */
describe('keys retire-platform', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cmk-retire-'));
    cpSync(FIXTURE, dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses while data keys depend on the version, naming them; retires it after the migration; old copies then open with nothing', async () => {
    const refusal = await retirePlatformVersion(dir, 1, undefined).catch((error: Error) => error.message);
    expect(refusal).toContain('platform:v1 is still needed by 6 data key(s) wrapped directly by it');
    expect(refusal).toContain('legacy-org');
    expect(await retirePlatformVersion(dir, 2, undefined).catch((error: Error) => error.message)).toContain('newest');
    expect(await retirePlatformVersion(dir, 9, undefined).catch((error: Error) => error.message)).toContain('not in the keyring');

    const store = await openSqliteEventStore({ path: join(dir, 'events.sqlite') });
    const providers = await createKeyProviders({ dataDir: dir, publicUrl: 'http://127.0.0.1:9' });
    try {
      expect(await migrateLegacyPlatformDataKeys(store, providers.registry)).toMatchObject({ migrated: 7, failed: 0 });
      expect(await retirePlatformVersion(dir, 1, undefined)).toEqual({ retired: 1, remaining: [2] });

      const legacyForms = (await store.readAll()).filter((e) => e.type === 'DataKeyIssued').map(decodeDataKeyEvent);
      expect(legacyForms).toHaveLength(7);
      const master = new LocalPlatformKeyProvider(await PlatformMasterKeyring.open({ dataDir: dir }));
      const opened = await Promise.all(
        legacyForms
          .filter((e: DataKeyEvent): e is DataKeyIssued => e.type === 'DataKeyIssued' && e.data.kekRef === 'platform:v1')
          .map((e) => master.unwrap(Buffer.from(e.data.wrapped, 'base64'), { org: e.data.orgId, dataKey: e.data.dataKeyId }).then(() => true, () => false)),
      );
      expect(opened).toEqual(Array(6).fill(false));

      const secrets = (JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')) as { secrets: Array<{ org: string; value: string; ciphertext: string }> }).secrets;
      const fresh = await createKeyProviders({ dataDir: dir, publicUrl: 'http://127.0.0.1:9' });
      try {
        for (const { org, value, ciphertext } of secrets) expect(await new SecretsService(store, fresh.registry).decrypt(org, [ciphertext])).toEqual([value]);
      } finally {
        fresh.close();
      }
    } finally {
      providers.close();
      await store.close();
    }
  });
});
