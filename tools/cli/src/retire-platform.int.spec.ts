import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { decodeDataKeyEvent } from '@cmk/domain';
import { openSqliteEventStore } from '@cmk/eventstore';
import { createKeyProviders, LocalPlatformKeyProvider, PlatformMasterKeyring, startOrgKeyRewrapLoop } from '@cmk/key-providers';
import { startKmsEmulator, type KmsEmulator } from '@cmk/kms-emulator';
import { waitFor } from '@cmk/testing';
import { migrateLegacyPlatformDataKeys } from '@cmk/reencryption';
import { SecretsService } from '@cmk/secrets';
import { retirePlatformKmsKey, retirePlatformVersion } from './retire-platform';

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
          .filter((e) => e.type === 'DataKeyIssued' && e.data.kekRef === 'platform:v1')
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

/**
 * A KMS-held platform key (`CMK_PLATFORM_KMS_KEY_ARN`) changed to a new key: the worker's
 * background rewrap moves the org platform keys to it, and the old ARN can be retired (disabled
 * in KMS) only once nothing depends on it. Against the KMS emulator, with ambient credentials.
 */
describe('keys retire-platform <KMS key ARN>', () => {
  let dir: string;
  let kms: KmsEmulator;
  const saved = { ...process.env };
  beforeAll(async () => {
    kms = await startKmsEmulator();
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: kms.adminCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: kms.adminCredentials.secretAccessKey });
  });
  afterAll(async () => {
    process.env = saved;
    await kms.close();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cmk-retire-kms-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses while org platform keys are under the old key, naming them; after the background rewrap disables it, and everything still decrypts', async () => {
    const oldKey = kms.createKey().keyArn;
    const newKey = kms.createKey().keyArn;
    const aws = { kmsEndpoint: kms.url, stsEndpoint: kms.url };
    const store = await openSqliteEventStore({ path: join(dir, 'events.sqlite') });
    const before = await createKeyProviders({ dataDir: dir, publicUrl: 'http://127.0.0.1:9', aws, platformKmsKeyArn: oldKey });
    const ciphertexts: Array<{ org: string; ciphertext: string }> = [];
    try {
      for (const org of ['kms-a', 'kms-b']) {
        const [ciphertext] = await new SecretsService(store, before.registry).encrypt(org, 'db', [`${org} secret`]);
        ciphertexts.push({ org, ciphertext });
      }
    } finally {
      before.close();
    }
    const keyState = async (arn: string) => {
      const client = new KMSClient({ region: arn.split(':')[3], endpoint: kms.url });
      try {
        return (await client.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata?.KeyState;
      } finally {
        client.destroy();
      }
    };
    const retire = (arn: string, currentArn: string | undefined) => retirePlatformKmsKey(dir, arn, { currentArn, eventStoreUrl: undefined, kmsEndpoint: kms.url });

    expect(await retire(oldKey, oldKey).catch((error: Error) => error.message)).toContain('set the new key there first');
    expect(await retire('arn:aws:kms:us-east-1:111122223333:alias/x', newKey).catch((error: Error) => error.message)).toContain('usage');
    const refusal = await retire(oldKey, newKey).catch((error: Error) => error.message);
    expect(refusal).toContain(`${oldKey} is still needed by 2 org platform key(s) (kms-a generation 1, kms-b generation 1)`);
    expect(await keyState(oldKey)).toBe('Enabled');

    // The worker after the change: its background loop rewraps every org key to the new KMS key.
    const after = await createKeyProviders({ dataDir: dir, publicUrl: 'http://127.0.0.1:9', aws, platformKmsKeyArn: newKey });
    const loop = startOrgKeyRewrapLoop(after.orgKeys, 100, { log: () => undefined, warn: () => undefined });
    try {
      await waitFor(async () => (await after.orgKeys.store.listLive()).every((key) => key.kekRef === newKey), { description: 'org keys rewrapped to the new KMS key' });
      expect(await retire(oldKey, newKey)).toEqual({ retired: oldKey, keyState: 'Disabled' });
      expect(await keyState(oldKey)).toBe('Disabled');
      // Disabled in KMS: a fresh process opens every secret with the new key alone.
      const fresh = await createKeyProviders({ dataDir: dir, publicUrl: 'http://127.0.0.1:9', aws, platformKmsKeyArn: newKey });
      try {
        for (const { org, ciphertext } of ciphertexts) expect(await new SecretsService(store, fresh.registry).decrypt(org, [ciphertext])).toEqual([`${org} secret`]);
      } finally {
        fresh.close();
      }
    } finally {
      await loop.stop();
      after.close();
      await store.close();
    }
  });
});
