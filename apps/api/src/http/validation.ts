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

/** Refuses absurdly nested bodies before class-transformer/class-validator recurse into them. */
class DepthCheckedValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
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
