import { DecryptCommand, DescribeKeyCommand, DisabledException, EncryptCommand, KMSClient, KMSServiceException } from '@aws-sdk/client-kms';
import { startKmsEmulator, type KmsEmulator } from './index';

describe('fault injection, quota and the control API', () => {
  let emulator: KmsEmulator;
  let kms: KMSClient;

  beforeAll(async () => {
    emulator = await startKmsEmulator();
    // Default SDK retry strategy (standard, 3 attempts): the point is that the SDK itself retries.
    kms = new KMSClient({ endpoint: emulator.url, region: 'us-east-1', credentials: emulator.adminCredentials });
  });
  afterEach(() => {
    emulator.clearFaults();
    emulator.setQuota(undefined);
    emulator.resetStats();
  });
  afterAll(async () => {
    kms.destroy();
    await emulator.close();
  });

  it('injected ThrottlingException (count 2) is retried by the SDK and the third attempt succeeds', async () => {
    const { keyArn } = emulator.createKey({ alias: 'alias/throttled' });
    emulator.addFault({ operation: 'Encrypt', keyArn: 'alias/throttled', error: 'ThrottlingException', count: 2 });
    const out = await kms.send(new EncryptCommand({ KeyId: 'alias/throttled', Plaintext: Buffer.from('x') }));
    expect(out.$metadata.attempts).toBe(3);
    const stats = emulator.stats();
    expect(stats.byOperation.Encrypt).toBe(3);
    expect(stats.byKeyArn[keyArn]).toBe(3);
    expect(stats.throttled).toBe(2);
    expect(stats.byRole.admin).toBe(3);
    expect(emulator.health().faults).toBe(0);
  });

  it('the quota throttles calls beyond perSecond with ThrottlingException', async () => {
    const { keyArn } = emulator.createKey();
    emulator.setQuota(5);
    const once = new KMSClient({ endpoint: emulator.url, region: 'us-east-1', credentials: emulator.adminCredentials, maxAttempts: 1 });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => once.send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('x') }))));
    once.destroy();
    const throttled = results.filter((r) => r.status === 'rejected' && (r.reason as KMSServiceException).name === 'ThrottlingException');
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(5);
    expect(throttled.length).toBeGreaterThanOrEqual(10);
    expect(emulator.stats().throttled).toBe(throttled.length);
  });

  it('adds latency and honours a probability of 0', async () => {
    const { keyArn } = emulator.createKey();
    emulator.addFault({ operation: 'DescribeKey', error: 'DisabledException', rate: 0 });
    emulator.addFault({ operation: 'DescribeKey', latencyMs: 60, count: 1 });
    const started = Date.now();
    await kms.send(new DescribeKeyCommand({ KeyId: keyArn }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    emulator.clearFaults();
    emulator.addFault({ keyArn, error: 'DisabledException' });
    await expect(kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).rejects.toBeInstanceOf(DisabledException);
  });

  it('serves the same operations over HTTP under /_emulator', async () => {
    const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
      const response = await fetch(`${emulator.url}/_emulator/${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    expect((await call('GET', 'health')).json).toMatchObject({ status: 'ok', accountId: '111122223333', region: 'us-east-1' });
    const created = await call('POST', 'keys', { alias: 'alias/http', description: 'via http' });
    expect(created.status).toBe(201);
    expect(created.json.aliasArn).toBe('arn:aws:kms:us-east-1:111122223333:alias/http');
    expect((await call('POST', `keys/${String(created.json.keyId)}/state`, { state: 'Disabled' })).json).toMatchObject({ state: 'Disabled' });
    await expect(kms.send(new EncryptCommand({ KeyId: 'alias/http', Plaintext: Buffer.from('x') }))).rejects.toBeInstanceOf(DisabledException);
    expect((await call('POST', 'roles', { roleArn: 'arn:aws:iam::111122223333:role/r', trust: { issuer: 'https://i', audience: 'a', subject: '*' }, allow: [] })).status).toBe(201);
    expect((await call('POST', 'faults', { operation: 'Decrypt', error: 'ThrottlingException', count: 1 })).status).toBe(201);
    expect((await call('DELETE', 'faults')).status).toBe(200);
    expect((await call('POST', 'quota', { perSecond: 100 })).json).toEqual({ perSecond: 100 });
    expect((await call('POST', 'quota', { perSecond: null })).json).toEqual({ perSecond: null });
    expect((await call('GET', 'stats')).json).toMatchObject({ byOperation: { Encrypt: 1 }, errors: { DisabledException: 1 } });
    await call('DELETE', 'stats');
    expect((await call('GET', 'stats')).json.calls).toBe(0);
    const refused = await call('POST', 'faults', { error: 'NoSuchException' });
    expect(refused).toEqual({ status: 400, json: { error: { code: 'UNKNOWN_ERROR_NAME', message: 'Unknown KMS error name "NoSuchException"' } } });
    expect((await call('POST', 'keys/nope/state', { state: 'Enabled' })).status).toBe(404);
  });
  it('wrong-wrap faults: redirectKeyArn wraps under (and names) another key, corruptCiphertext damages the blob', async () => {
    const { keyArn: asked } = emulator.createKey();
    const { keyArn: other } = emulator.createKey();
    const context = { org: 'acme', dataKey: 'dk1' };
    emulator.addFault({ operation: 'Encrypt', keyArn: asked, redirectKeyArn: other, count: 1 });
    const redirected = await kms.send(new EncryptCommand({ KeyId: asked, Plaintext: Buffer.from('secret'), EncryptionContext: context }));
    expect(redirected.KeyId).toBe(other);
    await expect(kms.send(new DecryptCommand({ KeyId: asked, CiphertextBlob: redirected.CiphertextBlob, EncryptionContext: context }))).rejects.toMatchObject({ name: 'IncorrectKeyException' });

    emulator.addFault({ operation: 'Encrypt', corruptCiphertext: true, count: 1 });
    const damaged = await kms.send(new EncryptCommand({ KeyId: asked, Plaintext: Buffer.from('secret'), EncryptionContext: context }));
    expect(damaged.KeyId).toBe(asked);
    await expect(kms.send(new DecryptCommand({ KeyId: asked, CiphertextBlob: damaged.CiphertextBlob, EncryptionContext: context }))).rejects.toMatchObject({ name: 'InvalidCiphertextException' });

    // Both faults were used up: the next wrap is correct again.
    const fine = await kms.send(new EncryptCommand({ KeyId: asked, Plaintext: Buffer.from('secret'), EncryptionContext: context }));
    const opened = await kms.send(new DecryptCommand({ KeyId: asked, CiphertextBlob: fine.CiphertextBlob, EncryptionContext: context }));
    expect(Buffer.from(opened.Plaintext ?? []).toString()).toBe('secret');
    expect(() => emulator.addFault({ operation: 'Encrypt', corruptCiphertext: 'yes' as unknown as boolean })).toThrow('corruptCiphertext must be a boolean');
  });
});
