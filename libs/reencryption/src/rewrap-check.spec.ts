import { ApplicationError } from '@cmk/application';
import type { KeyEncryptionProvider } from '@cmk/key-providers';
import type { FleetMetrics } from './fleet-metrics';
import type { KmsRateLimiter } from './kms-rate-limiter';
import { wrapChecks, type BatchDependencies } from './rewrap-batch';

const DESTINATION = 'arn:aws:kms:us-east-1:111122223333:key/dest';
const context = { org: 'acme', dataKey: 'dk1' };
const plaintext = Buffer.alloc(32, 7);

/** A destination provider whose unwrap answers `opened` (or throws it). */
function provider(opened: Buffer | Error): KeyEncryptionProvider & { unwraps: number } {
  const p = {
    kekRef: 'platform:not-kms', // not a KMS ARN: the metered call does not take the limiter
    unwraps: 0,
    generateDataKey: () => Promise.reject(new Error('unused')),
    wrap: () => Promise.reject(new Error('unused')),
    unwrap: async () => {
      p.unwraps += 1;
      if (opened instanceof Error) throw opened;
      return Buffer.from(opened);
    },
  };
  return p;
}

const deps = (rewrapCheck: 'key-arn' | 'decrypt') =>
  ({ limiter: {} as KmsRateLimiter, metrics: { kmsCall: () => undefined } as unknown as FleetMetrics, rewrapCheck }) as unknown as BatchDependencies;

describe('each new wrapped form is checked before it is appended', () => {
  it('key-arn: the key KMS reports must be the key ring destination (no extra KMS call)', async () => {
    const p = provider(plaintext);
    expect(await wrapChecks(deps('key-arn'), { provider: p, expected: DESTINATION }, plaintext, { wrapped: Buffer.from('x'), kekRef: DESTINATION }, context)).toBe(true);
    expect(await wrapChecks(deps('key-arn'), { provider: p, expected: DESTINATION }, plaintext, { wrapped: Buffer.from('x'), kekRef: `${DESTINATION}-other` }, context)).toBe(false);
    expect(p.unwraps).toBe(0);
  });

  it('key-arn to the platform key: the wrap must be under an org platform key generation', async () => {
    const p = provider(plaintext);
    expect(await wrapChecks(deps('key-arn'), { provider: p, expected: undefined }, plaintext, { wrapped: Buffer.from('x'), kekRef: DESTINATION }, context)).toBe(false);
  });

  it('decrypt: the new form must open under the destination to exactly the plaintext', async () => {
    const good = provider(plaintext);
    expect(await wrapChecks(deps('decrypt'), { provider: good, expected: DESTINATION }, plaintext, { wrapped: Buffer.from('x'), kekRef: DESTINATION }, context)).toBe(true);
    expect(good.unwraps).toBe(1);
    const other = Buffer.from(plaintext);
    other[31] ^= 1;
    expect(await wrapChecks(deps('decrypt'), { provider: provider(other), expected: DESTINATION }, plaintext, { wrapped: Buffer.from('x'), kekRef: DESTINATION }, context)).toBe(false);
    expect(await wrapChecks(deps('decrypt'), { provider: provider(Buffer.alloc(16, 7)), expected: DESTINATION }, plaintext, { wrapped: Buffer.from('x'), kekRef: DESTINATION }, context)).toBe(false);
    const invalid = new ApplicationError('KMS_INVALID_CIPHERTEXT', 400, 'The ciphertext is invalid');
    expect(await wrapChecks(deps('decrypt'), { provider: provider(invalid), expected: DESTINATION }, plaintext, { wrapped: Buffer.from('x'), kekRef: DESTINATION }, context)).toBe(false);
  });

  it('decrypt: a transient failure of the check is thrown (the batch is retried), never counted as a mismatch', async () => {
    const throttled = new ApplicationError('KMS_THROTTLED', 503, 'Rate exceeded');
    await expect(wrapChecks(deps('decrypt'), { provider: provider(throttled), expected: DESTINATION }, plaintext, { wrapped: Buffer.from('x'), kekRef: DESTINATION }, context)).rejects.toBe(throttled);
  });
});
