import { ApplicationError } from '@cmk/application';

/**
 * Stable codes for secret encryption failures and their HTTP status. Every problem with a
 * ciphertext a client sent is a 400 (their input), never a 500 and never a wrong plaintext.
 * Key-provider failures keep their own codes (`KMS_*`, 422/503) because an admin must act.
 */
export const SECRETS_ERROR_CODES = {
  /** Not `v<N>.<dataKeyId>.<nonce>.<sealed>` with valid base64url parts of the right sizes. */
  CIPHERTEXT_MALFORMED: 400,
  /** Well-formed but of a version this service does not read (`v2...`). */
  CIPHERTEXT_UNSUPPORTED_VERSION: 400,
  /** The authentication tag does not verify: altered, truncated inside the body, or bound to another org/scope. */
  CIPHERTEXT_INVALID: 400,
  /** The data key named in the ciphertext does not exist for this organisation (or belongs to another). */
  DATA_KEY_NOT_FOUND: 400,
  /** The scope is not 1-128 characters of `[A-Za-z0-9._/-]`. */
  SCOPE_INVALID: 400,
  /** A value is not well-formed Unicode (a lone surrogate) and could not round-trip through UTF-8. */
  VALUE_INVALID: 400,
  /** More values or ciphertexts in one request than `maxBatchValues`. */
  BATCH_TOO_LARGE: 400,
  /** The values (UTF-8 bytes) or ciphertexts (characters) of one request exceed the byte limit. */
  PAYLOAD_TOO_LARGE: 413,
  /** The key ring names a wrapping key this process cannot use (missing ARNs, disabled default). */
  WRAPPING_KEY_UNAVAILABLE: 409,
  /** A new scope would pass the org's `CMK_MAX_DATA_KEYS_PER_ORG` (one data key per scope). */
  DATA_KEY_LIMIT_REACHED: 409,
  /** The data-key cache evicted a key again and again under load; the request can be retried. */
  DATA_KEY_CACHE_CONTENDED: 503,
} as const;

export type SecretsErrorCode = keyof typeof SECRETS_ERROR_CODES;

/** Messages and details never contain plaintext, key bytes or the ciphertext itself. */
export function secretsError(code: SecretsErrorCode, message: string, details: Record<string, unknown> = {}): ApplicationError {
  return new ApplicationError(code, SECRETS_ERROR_CODES[code], message, details);
}

export function dataKeyNotFound(dataKeyId: string): ApplicationError {
  return secretsError('DATA_KEY_NOT_FOUND', 'The ciphertext names a data key this organisation does not have', { dataKeyId });
}

export function cacheContended(dataKeyId: string): ApplicationError {
  return secretsError('DATA_KEY_CACHE_CONTENDED', 'The data-key cache is too small for the current load; retry, or raise CMK_DATA_KEY_CACHE_MAX', { dataKeyId });
}
