import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { ApplicationError } from '@cmk/application';
import { envelopeAad, formatEnvelope, NONCE_BYTES, openValue, parseEnvelope, sealValue } from './envelope';
import { dataKeyIdFor, validateScope } from './scope';

const key = randomBytes(32);
const dataKeyId = dataKeyIdFor('acme', 'env/prod');
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
    expect(codeOf(() => decrypt(text, key, envelopeAad('acme', dataKeyIdFor('acme', 'x'), 'env/prod')))).toBe('CIPHERTEXT_INVALID');
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

  it('derives a stream-safe id per (org, scope), different across orgs and scopes', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9-]{1,20}$/), fc.stringMatching(/^[A-Za-z0-9._/-]{1,128}$/), (org, scope) => {
        const id = dataKeyIdFor(org, scope);
        expect(id).toMatch(/^[a-z0-9][a-z0-9_-]{0,63}$/);
        expect(dataKeyIdFor(org, scope)).toBe(id);
        expect(dataKeyIdFor(`${org}x`, scope)).not.toBe(id);
        expect(dataKeyIdFor(org, `${scope}x`)).not.toBe(id);
      }),
    );
  });
});
