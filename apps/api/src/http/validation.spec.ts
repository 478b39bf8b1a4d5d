import 'reflect-metadata';
import { ApplicationError } from '@cmk/application';
import { AddKeyDto } from '../keys/dto';
import { EncryptSecretsDto } from '../secrets/dto';
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
