import 'reflect-metadata';
import { ApplicationError } from '@cmk/application';
import { AddKeyDto } from '../keys/dto';
import fc from 'fast-check';
import { DecryptSecretsDto, EncryptSecretsDto } from '../secrets/dto';
import { MAX_BODY_DEPTH, nestsDeeperThan } from './json-depth';
import { createValidationPipe } from './validation';

const nested = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));

async function refusal(promise: Promise<unknown>): Promise<ApplicationError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApplicationError);
  return error as ApplicationError;
}

describe('validation pipe', () => {
  it('measures nesting without recursion, even 200 000 levels deep', () => {
    expect(nestsDeeperThan('x', 1)).toBe(false);
    expect(nestsDeeperThan({ a: { b: [1] } }, 3)).toBe(false);
    expect(nestsDeeperThan({ a: { b: [1] } }, 2)).toBe(true);
    expect(nestsDeeperThan(nested(200_000), MAX_BODY_DEPTH)).toBe(true);
  });

  it('answers a deeply nested body with a 400, not a stack overflow (500)', async () => {
    const pipe = createValidationPipe();
    const body = { scope: 's', values: ['a'], extra: nested(200_000) };
    const error = await refusal(pipe.transform(body, { type: 'body', metatype: EncryptSecretsDto }));
    expect(error.httpStatus).toBe(400);
    expect(error.code).toBe('VALIDATION_FAILED');
    const deepInside = { name: 'n', type: 'aws_kms', awsKms: JSON.parse('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)) as unknown };
    expect((await refusal(pipe.transform(deepInside, { type: 'body', metatype: AddKeyDto }))).httpStatus).toBe(400);
  });

  it('still validates ordinary bodies field by field', async () => {
    const pipe = createValidationPipe();
    await expect(pipe.transform({ scope: 's', values: ['a'] }, { type: 'body', metatype: EncryptSecretsDto })).resolves.toMatchObject({ scope: 's' });
    const error = await refusal(pipe.transform({ scope: 's', values: 'a', __proto__x: 1 }, { type: 'body', metatype: EncryptSecretsDto }));
    expect(Object.keys(error.details['fields'] as object).sort()).toEqual(['__proto__x', 'values']);
  });
});

describe('quick checks of the secrets bodies', () => {
  // Subclasses inherit the decorators but have no quick check: the full class-validator pass.
  class FullEncrypt extends EncryptSecretsDto {}
  class FullDecrypt extends DecryptSecretsDto {}
  const pipe = createValidationPipe();

  async function outcome(body: unknown, metatype: new () => object): Promise<{ ok: unknown } | { error: unknown }> {
    try {
      const value = (await pipe.transform(structuredClone(body), { type: 'body', metatype })) as object;
      expect(value).toBeInstanceOf(metatype);
      return { ok: { ...value } };
    } catch (error) {
      expect(error).toBeInstanceOf(ApplicationError);
      const { code, httpStatus, message, details } = error as ApplicationError;
      return { error: { code, httpStatus, message, details } };
    }
  }

  const encryptBodies: unknown[] = [
    { scope: 'production', values: ['a', ''] },
    { values: [], scope: 'a/b.c_d-e' },
    { scope: 'bad scope', values: ['a'] },
    { scope: '', values: ['a'] },
    { scope: 'x'.repeat(129), values: ['a'] },
    { scope: 7, values: ['a'] },
    { scope: 'p', values: 'a' },
    { scope: 'p', values: ['a', 1] },
    { scope: 'p', values: [null] },
    { scope: 'p', values: Array.from({ length: 1_001 }, () => 'v') },
    { scope: 'p', values: Array.from({ length: 1_000 }, () => 'v') },
    { scope: 'p', values: ['a'], extra: 1 },
    JSON.parse('{"scope":"p","values":["a"],"__proto__":{"x":1}}'),
    { scope: 'p' },
    {},
    [],
  ];
  const decryptBodies: unknown[] = [
    { ciphertexts: ['v1.x'] },
    { ciphertexts: [] },
    { ciphertexts: 'v1.x' },
    { ciphertexts: [1] },
    { ciphertexts: ['a'], values: ['b'] },
    { ciphertexts: Array.from({ length: 1_001 }, () => 'c') },
    {},
  ];

  it.each(encryptBodies.map((body) => [JSON.stringify(body).slice(0, 60), body]))('encrypt %s: same result as the full validation', async (_, body) => {
    expect(await outcome(body, EncryptSecretsDto)).toEqual(await outcome(body, FullEncrypt));
  });

  it.each(decryptBodies.map((body) => [JSON.stringify(body).slice(0, 60), body]))('decrypt %s: same result as the full validation', async (_, body) => {
    expect(await outcome(body, DecryptSecretsDto)).toEqual(await outcome(body, FullDecrypt));
  });

  it('agrees with the full validation on arbitrary JSON bodies', async () => {
    const scope = fc.oneof(fc.constantFrom('p', 'a/b', '', 'bad scope'), fc.string({ maxLength: 4 }), fc.integer());
    const values = fc.oneof(fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.constant(null)), { maxLength: 4 }), fc.string(), fc.constant(null));
    const body = fc.oneof(
      fc.record({ scope, values }, { requiredKeys: [] }),
      fc.record({ scope, values, ciphertexts: values }, { requiredKeys: [] }),
      fc.record({ ciphertexts: values }, { requiredKeys: [] }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        expect(await outcome(value, EncryptSecretsDto)).toEqual(await outcome(value, FullEncrypt));
        expect(await outcome(value, DecryptSecretsDto)).toEqual(await outcome(value, FullDecrypt));
      }),
      { numRuns: 300 },
    );
  });
});
