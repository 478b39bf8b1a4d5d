import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationError } from '@cmk/application';
import { LocalPlatformKeyProvider } from '../platform/local-platform-provider';
import { PlatformMasterKeyring } from '../platform/master-keyring';
import { OrgPlatformKeys } from './org-platform-keys';
import { isOrgPlatformWrapped, OrgPlatformKeyProvider } from './org-platform-provider';
import { ORG_KEY_FILE, SqliteOrgKeyStore } from './sqlite-org-key-store';

const codeOf = (error: unknown) => (error instanceof ApplicationError ? error.code : String(error));

describe('OrgPlatformKeyProvider (org platform keys over the local master keyring)', () => {
  let dir: string;
  let keyring: PlatformMasterKeyring;
  let master: LocalPlatformKeyProvider;
  let stores: SqliteOrgKeyStore[];
  const keysOf = () => {
    const store = SqliteOrgKeyStore.open(join(dir, ORG_KEY_FILE));
    stores.push(store);
    // No cache: each instance stands for another process reading the shared store.
    return new OrgPlatformKeys(store, master, { cacheTtlMs: 1 });
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmk-orgkey-provider-'));
    keyring = await PlatformMasterKeyring.open({ dataDir: dir });
    master = new LocalPlatformKeyProvider(keyring);
    stores = [];
  });
  afterEach(async () => {
    await Promise.all(stores.map((store) => store.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('wraps under generation 1 of the org key, unwraps in another process, and binds org and data key', async () => {
    const acme = new OrgPlatformKeyProvider('acme', keysOf());
    const generated = await acme.generateDataKey({ org: 'acme', dataKey: 'dk1' });
    expect(generated.kekRef).toBe('platform-org:g1');
    expect(isOrgPlatformWrapped(generated.wrapped)).toBe(true);
    const elsewhere = new OrgPlatformKeyProvider('acme', keysOf());
    expect(await elsewhere.unwrap(generated.wrapped, { org: 'acme', dataKey: 'dk1' })).toEqual(generated.plaintext);
    expect(codeOf(await elsewhere.unwrap(generated.wrapped, { org: 'acme', dataKey: 'dk2' }).catch((e: unknown) => e))).toBe('KMS_INVALID_CIPHERTEXT');
    expect(codeOf(await elsewhere.unwrap(generated.wrapped, { org: 'beta', dataKey: 'dk1' }).catch((e: unknown) => e))).toBe('KMS_CONTEXT_MISMATCH');
    // The master key alone cannot open it: that is what makes destroying the org key enough.
    expect(codeOf(await master.unwrap(generated.wrapped, { org: 'acme', dataKey: 'dk1' }).catch((e: unknown) => e))).toBe('KMS_INVALID_CIPHERTEXT');
  });

  it('still unwraps data keys wrapped directly by a master key version (stores written before org keys)', async () => {
    const legacy = await master.generateDataKey({ org: 'acme', dataKey: 'dk-old' });
    const acme = new OrgPlatformKeyProvider('acme', keysOf());
    expect(await acme.unwrap(legacy.wrapped, { org: 'acme', dataKey: 'dk-old' })).toEqual(legacy.plaintext);
  });

  it('after destruction nothing unwraps (PLATFORM_KEY_DESTROYED), and the next wrap creates generation 2', async () => {
    const keys = keysOf();
    const acme = new OrgPlatformKeyProvider('acme', keys);
    const before = await acme.generateDataKey({ org: 'acme', dataKey: 'dk1' });
    const beta = await new OrgPlatformKeyProvider('beta', keys).generateDataKey({ org: 'beta', dataKey: 'dk1' });
    await keys.destroy('acme', 1);
    expect(await keys.isLive('acme', 1)).toBe(false);
    for (const reader of [acme, new OrgPlatformKeyProvider('acme', keysOf())]) {
      expect(codeOf(await reader.unwrap(before.wrapped, { org: 'acme', dataKey: 'dk1' }).catch((e: unknown) => e))).toBe('PLATFORM_KEY_DESTROYED');
    }
    // Another org's key is untouched.
    expect(await new OrgPlatformKeyProvider('beta', keysOf()).unwrap(beta.wrapped, { org: 'beta', dataKey: 'dk1' })).toEqual(beta.plaintext);
    const after = await acme.generateDataKey({ org: 'acme', dataKey: 'dk2' });
    expect(after.kekRef).toBe('platform-org:g2');
    expect((await keys.generations('acme')).map((g) => [g.generation, g.status])).toEqual([
      [1, 'destroyed'],
      [2, 'live'],
    ]);
  });

  it('concurrent first wraps in several processes settle on one generation', async () => {
    const providers = Array.from({ length: 4 }, () => new OrgPlatformKeyProvider('acme', keysOf()));
    const wraps = await Promise.all(providers.map((p, i) => p.generateDataKey({ org: 'acme', dataKey: `dk${i}` })));
    expect(new Set(wraps.map((w) => w.kekRef))).toEqual(new Set(['platform-org:g1']));
    const reader = new OrgPlatformKeyProvider('acme', keysOf());
    for (const [i, w] of wraps.entries()) expect(await reader.unwrap(w.wrapped, { org: 'acme', dataKey: `dk${i}` })).toEqual(w.plaintext);
  });

  it('master rotation rewraps the org key; data keys stay as they are and still unwrap', async () => {
    const keys = keysOf();
    const acme = new OrgPlatformKeyProvider('acme', keys);
    const generated = await acme.generateDataKey({ org: 'acme', dataKey: 'dk1' });
    expect(await keys.store.listLive()).toEqual([{ orgId: 'acme', generation: 1, kekRef: 'platform:v1' }]);
    await keyring.rotate();
    expect(await keys.rewrapToCurrentMaster('acme', 1)).toBe(true);
    expect(await keys.rewrapToCurrentMaster('acme', 1)).toBe(false);
    expect(await keys.store.listLive()).toEqual([{ orgId: 'acme', generation: 1, kekRef: 'platform:v2' }]);
    expect(await new OrgPlatformKeyProvider('acme', keysOf()).unwrap(generated.wrapped, { org: 'acme', dataKey: 'dk1' })).toEqual(generated.plaintext);
  });
});
