/**
 * Stable error codes. The HTTP layer maps each to a status code and a JSON body
 * `{ error: { code, message, details } }`; clients may rely on the codes, not on messages.
 */
export const ERROR_CODES = {
  // 400 / 422: the request is malformed or names something invalid
  VALIDATION_FAILED: 400,
  INVALID_ROLE_ARN: 400,
  INVALID_KEY_ARN: 400,
  INVALID_KEY_NAME: 400,
  // 403: the caller or the organisation may not do this
  EDITION_REQUIRED: 403,
  ROLE_REQUIRED: 403,
  // 404
  ORG_NOT_FOUND: 404,
  KEY_NOT_FOUND: 404,
  REENCRYPTION_NOT_FOUND: 404,
  TOKEN_NOT_FOUND: 404,
  DATA_KEY_NOT_FOUND: 404,
  WEBHOOK_NOT_FOUND: 404,
  // 409: a product rule refused the command, or a concurrent change won
  ORG_EXISTS: 409,
  KEY_EXISTS: 409,
  TOKEN_EXISTS: 409,
  DATA_KEY_EXISTS: 409,
  KEY_NAME_TAKEN: 409,
  KEY_IS_DEFAULT: 409,
  KEY_NOT_ACTIVE: 409,
  KEY_UNDER_REENCRYPTION: 409,
  REENCRYPTION_RUNNING: 409,
  REENCRYPTION_NOT_RUNNING: 409,
  REENCRYPTION_NOT_FAILED: 409,
  REENCRYPTION_RETRY_PENDING: 409,
  DESTINATION_INVALID: 409,
  NO_KEYS: 409,
  TOKEN_REVOKED: 409,
  CONCURRENT_CHANGE: 409,
  WEBHOOK_EXISTS: 409,
  WEBHOOK_LIMIT_REACHED: 409,
  DATA_KEY_USE_EXHAUSTED: 409,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code];
}

/** Shorthand used by deciders: `throw refuse('KEY_IS_DEFAULT', '...', { keyId })`. */
export function refuse(code: ErrorCode, message: string, details: Record<string, unknown> = {}): DomainError {
  return new DomainError(code, message, details);
}
