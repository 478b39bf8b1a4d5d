import { ApplicationError } from '@cmk/application';

/**
 * Stable codes for key-provider failures. Refusals an admin can fix (trust policy, key policy,
 * key state) answer HTTP 422; transient ones (throttling, outages) 503.
 */
export const KMS_ERROR_CODES = {
  KMS_ROLE_NOT_ASSUMABLE: 422,
  KMS_ACCESS_DENIED: 422,
  KMS_KEY_DISABLED: 422,
  KMS_KEY_PENDING_DELETION: 422,
  KMS_KEY_NOT_FOUND: 422,
  KMS_INVALID_CIPHERTEXT: 422,
  /** KMS refused the request for another reason (a validation error we did not foresee). */
  KMS_REQUEST_REJECTED: 422,
  /** The provider was asked to act for another organisation than the one it serves. */
  KMS_CONTEXT_MISMATCH: 422,
  /** The org platform key generation that wrapped the data key was destroyed (crypto-shredding). */
  PLATFORM_KEY_DESTROYED: 422,
  KMS_THROTTLED: 503,
  KMS_UNAVAILABLE: 503,
  /** The role or key ARN is malformed: a client error caught before any AWS call. */
  INVALID_ROLE_ARN: 400,
  INVALID_KEY_ARN: 400,
} as const;

export type KmsErrorCode = keyof typeof KMS_ERROR_CODES;

const RETRYABLE: ReadonlySet<string> = new Set<KmsErrorCode>(['KMS_THROTTLED', 'KMS_UNAVAILABLE']);

/**
 * Whether a failure with this code may succeed if tried again later (the worker backs off and
 * retries the batch); every other code is a refusal that needs an admin (record as failed).
 */
export function isRetryableKmsError(code: string): boolean {
  return RETRYABLE.has(code);
}

export function kmsError(code: KmsErrorCode, message: string, details: Record<string, unknown> = {}): ApplicationError {
  return new ApplicationError(code, KMS_ERROR_CODES[code], message, details);
}

/** True for an `ApplicationError` raised by this library with a retryable code. */
export function isRetryableFailure(error: unknown): boolean {
  return error instanceof ApplicationError && isRetryableKmsError(error.code);
}
