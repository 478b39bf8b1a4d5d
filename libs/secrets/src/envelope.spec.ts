import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { ApplicationError } from '@cmk/application';
import { envelopeAad, formatEnvelope, NONCE_BYTES, openValue, parseEnvelope, sealValue } from './envelope';
import { DataKeyIdKey } from '@cmk/key-providers';
import { dataKeyIdFor, legacyDataKeyIdFor, validateScope } from './scope';

const key = randomBytes(32);
const dataKeyId = legacyDataKeyIdFor('acme', 'env/prod');
const aad = envelopeAad('acme', dataKeyId, 'env/prod');

function encrypt(value: string, k = key, a = aad, id = dataKeyId): string {
  const nonce = randomBytes(NONCE_BYTES);
  return formatEnvelope(id, nonce, sealValue(k, a, nonce, Buffer.from(value, 'utf8')));
}

function decrypt(text: string, k = key, a = aad): string {
  const { nonce, sealed } = parseEnvelope(text);
  return openValue(k, a, nonce, sealed).toString('utf8');
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof ApplicationError) {
      expect(error.httpStatus).toBe(400);
      return error.code;
    }
    throw error;
  }
}

const values = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ unit: 'binary-ascii', maxLength: 2000 }));

describe('secret envelope v1', () => {
  it('round-trips any well-formed string', () => {
    fc.assert(fc.property(values, (value) => decrypt(encrypt(value)) === value));
  });

  it('has the documented shape and never repeats a nonce', () => {
    const a = encrypt('same');
    const b = encrypt('same');
    expect(a).toMatch(/^v1\.dk[0-9a-f]{40}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
  });

  it('detects any single changed character (CIPHERTEXT_INVALID or MALFORMED, never a plaintext)', () => {
    fc.assert(
      fc.property(values, fc.nat(), fc.constantFrom(...'ABCabc019-_'), (value, at, replacement) => {
        const text = encrypt(value);
        const payloadStart = text.indexOf('.', 3) + 1; // nonce and ciphertext: the key id is checked by lookup
        const i = payloadStart + (at % (text.length - payloadStart));
        if (text[i] === '.' || text[i] === replacement) return;
        const tampered = text.slice(0, i) + replacement + text.slice(i + 1);
        // Replacing the last base64url character can only change its unused low bits: same bytes, still valid.
        const code = codeOf(() => decrypt(tampered));
        if (code === undefined) expect(decrypt(tampered)).toBe(value);
        else expect(['CIPHERTEXT_INVALID', 'CIPHERTEXT_MALFORMED']).toContain(code);
      }),
    );
  });

  it('refuses every truncation', () => {
    fc.assert(
      fc.property(values, fc.nat(), (value, cut) => {
        const text = encrypt(value);
        const truncated = text.slice(0, cut % text.length);
        expect(['CIPHERTEXT_INVALID', 'CIPHERTEXT_MALFORMED']).toContain(codeOf(() => decrypt(truncated)));
      }),
    );
  });

  it('binds org, data key and scope through the additional data', () => {
    const text = encrypt('s3cret');
    expect(codeOf(() => decrypt(text, key, envelopeAad('other', dataKeyId, 'env/prod')))).toBe('CIPHERTEXT_INVALID');
    expect(codeOf(() => decrypt(text, key, envelopeAad('acme', dataKeyId, 'env/dev')))).toBe('CIPHERTEXT_INVALID');
    expect(codeOf(() => decrypt(text, key, envelopeAad('acme', legacyDataKeyIdFor('acme', 'x'), 'env/prod')))).toBe('CIPHERTEXT_INVALID');
    expect(codeOf(() => decrypt(text, randomBytes(32)))).toBe('CIPHERTEXT_INVALID');
  });

  it('tells unsupported versions from malformed text', () => {
    const [, id, nonce, sealed] = encrypt('x').split('.');
    expect(codeOf(() => parseEnvelope(`v2.${id}.${nonce}.${sealed}`))).toBe('CIPHERTEXT_UNSUPPORTED_VERSION');
    for (const bad of ['', 'v1', 'v1...', `x1.${id}.${nonce}.${sealed}`, `v1.DK.${nonce}.${sealed}`, `v1.${id}.${nonce}A.${sealed}`, `v1.${id}.${nonce}.${sealed}.x`, `v1.${id}.${nonce}.${sealed.slice(0, 20)}`, `v1.${id}.${nonce}.${sealed}!`, `v1.${id}.${nonce}.${sealed}=`]) {
      expect([bad, codeOf(() => parseEnvelope(bad))]).toEqual([bad, 'CIPHERTEXT_MALFORMED']);
    }
  });

  it('never parses arbitrary text into something that opens', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => ['CIPHERTEXT_INVALID', 'CIPHERTEXT_MALFORMED', 'CIPHERTEXT_UNSUPPORTED_VERSION'].includes(codeOf(() => decrypt(text)) ?? '')));
  });
});

describe('scopes and data key ids', () => {
  it('accepts 1-128 characters of [A-Za-z0-9._/-] and nothing else', () => {
    expect(validateScope('env/prod-1.2_x')).toBe('env/prod-1.2_x');
    for (const bad of ['', 'a'.repeat(129), 'a b', 'é', 'a\0b', 'a:b']) expect(codeOf(() => validateScope(bad))).toBe('SCOPE_INVALID');
  });

  it('derives a stream-safe keyed id per (org, scope, generation), different across orgs, scopes, generations and keys', () => {
    const idKey = DataKeyIdKey.fromBytes(randomBytes(32));
    const otherKey = DataKeyIdKey.fromBytes(randomBytes(32));
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9-]{1,20}$/), fc.stringMatching(/^[A-Za-z0-9._/-]{1,128}$/), fc.nat(1000), (org, scope, generation) => {
        const id = dataKeyIdFor(idKey, org, scope, generation);
        expect(id).toMatch(/^[a-z0-9][a-z0-9_-]{0,63}$/);
        expect(id).toMatch(/^dk[0-9a-f]{40}$/);
        expect(dataKeyIdFor(idKey, org, scope, generation)).toBe(id);
        expect(dataKeyIdFor(idKey, `${org}x`, scope, generation)).not.toBe(id);
        expect(dataKeyIdFor(idKey, org, `${scope}x`, generation)).not.toBe(id);
        expect(dataKeyIdFor(idKey, org, scope, generation + 1)).not.toBe(id);
        // Without the server's key the id cannot be computed: neither the unkeyed hash nor another key gives it.
        expect(dataKeyIdFor(otherKey, org, scope, generation)).not.toBe(id);
        expect(legacyDataKeyIdFor(org, scope)).not.toBe(id);
      }),
    );
  });

  it('keeps the legacy (unkeyed) id of data keys issued before keyed ids', () => {
    // The value the previous release computed for (acme, env/prod): existing streams keep this name.
    expect(legacyDataKeyIdFor('acme', 'env/prod')).toBe('dk5c44392b5409f7196c8af932af0c925067fa0c1e');
  });
});
