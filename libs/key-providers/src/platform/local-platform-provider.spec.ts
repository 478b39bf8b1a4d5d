import { ApplicationError } from '@cmk/application';
import * as crypto from 'node:crypto';
import { promises as fs } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalPlatformKeyProvider } from './local-platform-provider';
import { MASTER_KEY_FILE, PlatformMasterKeyring } from './master-keyring';

const ctx = { org: 'acme', dataKey: 'dk-1' };

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  return error instanceof ApplicationError ? error.code : undefined;
}

describe('LocalPlatformKeyProvider', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cmk-platform-'));
  });
  afterEach(() => fs.rm(dataDir, { recursive: true, force: true }));

  it('creates the master key file with 0600 on first start and reuses it after a restart', async () => {
    const first = new LocalPlatformKeyProvider(await PlatformMasterKeyring.open({ dataDir }));
    const { plaintext, wrapped, kekRef } = await first.generateDataKey(ctx);
    expect(kekRef).toBe('platform:v1');
    expect((await fs.stat(join(dataDir, MASTER_KEY_FILE))).mode & 0o777).toBe(0o600);

    const restarted = new LocalPlatformKeyProvider(await PlatformMasterKeyring.open({ dataDir }));
    expect(await restarted.unwrap(wrapped, ctx)).toEqual(plaintext);
  });

  it('binds the ciphertext to the org and data key', async () => {
    const provider = new LocalPlatformKeyProvider(await PlatformMasterKeyring.open({ dataDir }));
    const { wrapped } = await provider.wrap(Buffer.alloc(32, 7), ctx);
    expect(await codeOf(provider.unwrap(wrapped, { org: 'other', dataKey: 'dk-1' }))).toBe('KMS_INVALID_CIPHERTEXT');
    expect(await codeOf(provider.unwrap(wrapped, { org: 'acme', dataKey: 'dk-2' }))).toBe('KMS_INVALID_CIPHERTEXT');
  });

  it('zeroes the unauthenticated bytes GCM produced when the context is wrong (they are the data key)', async () => {
    const provider = new LocalPlatformKeyProvider(await PlatformMasterKeyring.open({ dataDir }));
    const secret = Buffer.alloc(32, 0x5a);
    const { wrapped } = await provider.wrap(secret, ctx);
    const produced: Buffer[] = [];
    const decipherPrototype = Object.getPrototypeOf(crypto.createDecipheriv('aes-256-gcm', Buffer.alloc(32), Buffer.alloc(12))) as { update: (data: Buffer) => Buffer };
    const update = decipherPrototype.update;
    const spy = jest.spyOn(decipherPrototype, 'update').mockImplementation(function (this: unknown, data: Buffer) {
      const out = update.call(this, data);
      produced.push(out);
      return out;
    });
    try {
      expect(await codeOf(provider.unwrap(wrapped, { org: 'other', dataKey: 'dk-1' }))).toBe('KMS_INVALID_CIPHERTEXT');
    } finally {
      spy.mockRestore();
    }
    expect(produced).toHaveLength(1);
    expect(produced[0].length).toBe(32);
    expect(produced[0].equals(Buffer.alloc(32))).toBe(true);
  });

  it('detects tampering anywhere in the blob, including the version header', async () => {
    const provider = new LocalPlatformKeyProvider(await PlatformMasterKeyring.open({ dataDir }));
    const { wrapped } = await provider.wrap(Buffer.alloc(32, 7), ctx);
    for (const index of [0, 4, 10, 20, wrapped.length - 1]) {
      const altered = Buffer.from(wrapped);
      altered[index] ^= 0x01;
      expect(await codeOf(provider.unwrap(altered, ctx))).toBe('KMS_INVALID_CIPHERTEXT');
    }
    expect(await codeOf(provider.unwrap(wrapped.subarray(0, 10), ctx))).toBe('KMS_INVALID_CIPHERTEXT');
  });

  it('rotation: the newest version wraps, old ciphertexts stay readable, other processes pick it up', async () => {
    const keyring = await PlatformMasterKeyring.open({ dataDir });
    const provider = new LocalPlatformKeyProvider(keyring);
    const otherProcess = new LocalPlatformKeyProvider(await PlatformMasterKeyring.open({ dataDir }));
    const old = await provider.wrap(Buffer.alloc(32, 1), ctx);

    expect(await keyring.rotate()).toBe(2);
    const fresh = await provider.wrap(Buffer.alloc(32, 2), ctx);
    expect(fresh.kekRef).toBe('platform:v2');
    expect(fresh.wrapped.readUInt32BE(1)).toBe(2);
    expect(await provider.unwrap(old.wrapped, ctx)).toEqual(Buffer.alloc(32, 1));
    // The other process loaded v1 only; an unknown version makes it re-read the file.
    expect(await otherProcess.unwrap(fresh.wrapped, ctx)).toEqual(Buffer.alloc(32, 2));
    expect(otherProcess.kekRef).toBe('platform:v2');
  });

  it('reads a keyring from CMK_PLATFORM_MASTER_KEY without touching the data dir', async () => {
    const v1 = Buffer.alloc(32, 1).toString('base64');
    const v2 = Buffer.alloc(32, 2).toString('base64');
    const single = new LocalPlatformKeyProvider(await PlatformMasterKeyring.open({ dataDir, fromEnv: v1 }));
    const rotated = new LocalPlatformKeyProvider(await PlatformMasterKeyring.open({ dataDir, fromEnv: `1:${v1},2:${v2}` }));
    const old = await single.wrap(Buffer.alloc(32, 9), ctx);
    expect(rotated.kekRef).toBe('platform:v2');
    expect(await rotated.unwrap(old.wrapped, ctx)).toEqual(Buffer.alloc(32, 9));
    await expect(fs.stat(join(dataDir, MASTER_KEY_FILE))).rejects.toThrow();
  });

  it('refuses a malformed env key without echoing it', async () => {
    const secretish = Buffer.alloc(16, 5).toString('base64');
    const error = await PlatformMasterKeyring.open({ dataDir, fromEnv: secretish }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toContain(secretish);
  });
});
