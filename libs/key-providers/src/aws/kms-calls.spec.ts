import type { KMSClient } from '@aws-sdk/client-kms';
import { ApplicationError } from '@cmk/application';
import { KmsCalls } from './kms-calls';

const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ctx = { org: 'acme', dataKey: 'dk-1' };

/** A KMS client that answers every call with `out` (what the SDK would hand back). */
function callsAnswering(out: Record<string, unknown>): KmsCalls {
  const client = { send: async () => out } as unknown as KMSClient;
  return new KmsCalls({ client: () => client }, undefined);
}

describe('KmsCalls: plaintext data keys from the SDK', () => {
  it('GenerateDataKey hands over its own copy and zeroes the SDK array', async () => {
    const sdkPlaintext = new Uint8Array(32).fill(0xab);
    const result = await callsAnswering({ Plaintext: sdkPlaintext, CiphertextBlob: new Uint8Array([1, 2, 3]), KeyId: KEY_ARN }).generateDataKey(KEY_ARN, ctx);
    expect(result.plaintext).toEqual(Buffer.alloc(32, 0xab));
    expect(sdkPlaintext.every((byte) => byte === 0)).toBe(true);
  });

  it('Decrypt hands over its own copy and zeroes the SDK array', async () => {
    const sdkPlaintext = new Uint8Array(32).fill(0xcd);
    const result = await callsAnswering({ Plaintext: sdkPlaintext, KeyId: KEY_ARN }).decrypt(KEY_ARN, Buffer.from([9]), ctx);
    expect(result.plaintext).toEqual(Buffer.alloc(32, 0xcd));
    expect(sdkPlaintext.every((byte) => byte === 0)).toBe(true);
  });

  it('zeroes the plaintext of an incomplete answer it refuses', async () => {
    const sdkPlaintext = new Uint8Array(32).fill(0xef);
    const error = await callsAnswering({ Plaintext: sdkPlaintext, KeyId: KEY_ARN })
      .generateDataKey(KEY_ARN, ctx)
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationError);
    expect((error as ApplicationError).code).toBe('KMS_UNAVAILABLE');
    expect(sdkPlaintext.every((byte) => byte === 0)).toBe(true);
  });
});
