import type { DataKeyUsePolicy } from '@cmk/domain';
import { secretsError } from './errors';

/** Per-request limits of `SecretsService.encrypt`/`decrypt`. */
export interface SecretsLimits {
  /** Values or ciphertexts per request. Default 1 000. */
  readonly maxBatchValues: number;
  /** Sum of the values' UTF-8 bytes per encrypt request. Default 1 MiB. */
  readonly maxPlaintextBytes: number;
  /**
   * Sum of the ciphertexts' characters per decrypt request. Default 1.5 MiB: room for the
   * ciphertexts of a full 1 MiB encrypt batch (base64url grows by 4/3, plus ~80 characters per value).
   */
  readonly maxCiphertextChars: number;
}

export const DEFAULT_SECRETS_LIMITS: SecretsLimits = {
  maxBatchValues: 1_000,
  maxPlaintextBytes: 1024 * 1024,
  maxCiphertextChars: 1.5 * 1024 * 1024,
};

/**
 * When a data key stops encrypting. `maxUses` 2^28 (`CMK_DATA_KEY_MAX_USES`): 1/16 of the 2^32
 * encryptions NIST SP 800-38D allows under one key with random 96-bit nonces; `maxAgeMs` 90 days
 * (`CMK_DATA_KEY_MAX_AGE_MS`); `reserveBlock` 2^20 (`CMK_DATA_KEY_RESERVE_BLOCK`): the largest
 * block of uses one process reserves with one append.
 */
export const DEFAULT_DATA_KEY_USE_POLICY: DataKeyUsePolicy = {
  maxUses: 2 ** 28,
  maxAgeMs: 90 * 24 * 60 * 60 * 1000,
  reserveBlock: 2 ** 20,
};

/** A process's first reservation under a data key; each next one doubles, up to `reserveBlock`. */
export const FIRST_RESERVATION = 1024;

export function checkBatchSize(count: number, limits: SecretsLimits): void {
  if (count > limits.maxBatchValues) {
    throw secretsError('BATCH_TOO_LARGE', `At most ${limits.maxBatchValues} values per request`, { count, max: limits.maxBatchValues });
  }
}

export function checkTotal(total: number, max: number, unit: 'bytes' | 'characters'): void {
  if (total > max) throw secretsError('PAYLOAD_TOO_LARGE', `At most ${max} ${unit} per request`, { total, max, unit });
}

/** A lone surrogate would come back as U+FFFD after UTF-8: refuse it rather than change the value. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export function checkWellFormed(value: string, index: number): void {
  if (LONE_SURROGATE.test(value)) throw secretsError('VALUE_INVALID', 'Values must be well-formed Unicode (no lone surrogates)', { index });
}
