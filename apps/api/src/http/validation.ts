import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ApplicationError } from '@cmk/application';

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

/** Whitelisting, unknown fields refused, and a 400 that names every bad field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) =>
      new ApplicationError('VALIDATION_FAILED', 400, 'The request body is not valid', { fields: flattenValidationErrors(errors) }),
  });
}
