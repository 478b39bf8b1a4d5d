import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { ApplicationError } from '@cmk/application';
import { MAX_BODY_DEPTH, nestsDeeperThan } from './json-depth';

/** Flattens class-validator errors to `{ "awsKms.roleArn": ["must be ..."] }`. */
export function flattenValidationErrors(errors: readonly ValidationError[], prefix = ''): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  for (const error of errors) {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    if (error.constraints) fields[path] = Object.values(error.constraints);
    if (error.children?.length) Object.assign(fields, flattenValidationErrors(error.children, path));
  }
  return fields;
}

/**
 * A cheap check of a hot route's body: `true` only for a body that the full class-validator
 * pass would accept as it is (exactly the DTO's fields, every rule met). Anything else, valid or
 * not, goes through the full pass, which therefore still writes every error.
 */
export type QuickCheck = (body: Readonly<Record<string, unknown>>) => boolean;

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- keyed by the DTO class itself
const QUICK_CHECKS = new Map<Function, QuickCheck>();

/**
 * Registers `check` for `dto`: a body it accepts skips class-transformer and class-validator
 * (tens of microseconds per request on the secrets routes) and becomes an instance of `dto`
 * holding the same fields. The check must accept nothing the decorators refuse and bodies only
 * with no other fields (whitelisting would strip or refuse them); `validation.spec.ts` compares
 * the two paths.
 */
export function quickCheck<T extends object>(dto: new () => T, check: QuickCheck): void {
  QUICK_CHECKS.set(dto, check);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** Refuses absurdly nested bodies before class-transformer/class-validator recurse into them. */
class DepthCheckedValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const dto = metadata.type === 'body' ? metadata.metatype : undefined;
    const check = dto ? QUICK_CHECKS.get(dto) : undefined;
    if (dto && check && isPlainObject(value) && check(value)) return Object.assign(new (dto as new () => object)(), value);
    if (metadata.type === 'body' && nestsDeeperThan(value, MAX_BODY_DEPTH)) {
      throw new ApplicationError('VALIDATION_FAILED', 400, `The request body nests objects or arrays deeper than ${MAX_BODY_DEPTH} levels`, {
        fields: { body: [`must not nest deeper than ${MAX_BODY_DEPTH} levels`] },
      });
    }
    return super.transform(value, metadata);
  }
}

/** Whitelisting, unknown fields refused, bounded nesting, and a 400 that names every bad field. */
export function createValidationPipe(): ValidationPipe {
  return new DepthCheckedValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) =>
      new ApplicationError('VALIDATION_FAILED', 400, 'The request body is not valid', { fields: flattenValidationErrors(errors) }),
  });
}
