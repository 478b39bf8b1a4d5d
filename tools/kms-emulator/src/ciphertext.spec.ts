import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { canonicalContext, embeddedKeyId, open, seal } from './ciphertext';
import { KmsError } from './errors';

describe('ciphertext blobs', () => {
  const keyId = randomUUID();
  const material = createSecretKey(randomBytes(32));

  it('embeds the key id and opens under the same context in any key order', () => {
    const blob = seal(keyId, material, Buffer.from('hello'), { b: '2', a: '1' });
    expect(embeddedKeyId(blob)).toBe(keyId);
    expect(open(material, blob, { a: '1', b: '2' }).toString()).toBe('hello');
  });

  it('treats a missing and an empty context alike, and distinguishes every other context', () => {
    expect(canonicalContext(undefined)).toEqual(canonicalContext({}));
    expect(canonicalContext({ a: 'b=c' })).not.toEqual(canonicalContext({ 'a=b': 'c' }));
  });

  it('refuses a wrong context, a tampered byte, or a blob re-pointed at another key id', () => {
    const blob = seal(keyId, material, Buffer.from('hello'), { org: 'acme' });
    expect(() => open(material, blob, { org: 'evil' })).toThrow(KmsError);
    const tampered = Buffer.from(blob);
    tampered[tampered.length - 1] ^= 1;
    expect(() => open(material, tampered, { org: 'acme' })).toThrow(KmsError);
    const repointed = Buffer.from(blob);
    repointed.write(randomUUID(), 1, 36, 'latin1');
    expect(() => open(material, repointed, { org: 'acme' })).toThrow(KmsError);
    expect(embeddedKeyId(Buffer.from('short'))).toBeUndefined();
  });
});
