import type { EnvReader } from '@cmk/runtime';

/** Tuning of the re-encryption fleet; read once at the worker's entry point. */
export interface ReencryptionSettings {
  /** `CMK_REENCRYPT_BATCH_SIZE`: data keys per rewrap-batch job. Default 500. */
  readonly batchSize: number;
  /** `CMK_WORKER_CONCURRENCY`: rewrap-batch jobs processed at once by one worker process. Default 4. */
  readonly workerConcurrency: number;
  /** `CMK_REWRAP_CONCURRENCY`: data keys in flight (KMS calls) inside one batch. Default 16. */
  readonly rewrapConcurrency: number;
  /** `CMK_KMS_RATE_LIMIT_PER_SECOND`: KMS requests per second per AWS account, fleet-wide; 0 = off. Default 0. */
  readonly kmsRateLimitPerSecond: number;
  /** `CMK_REENCRYPT_MAX_ROUNDS`: plan rounds per run before leftovers count as failed. Default 3. */
  readonly maxRounds: number;
  /** `CMK_REENCRYPT_PROGRESS_INTERVAL_MS`: least time between two `ReencryptionProgressed` of a run. Default 2 000. */
  readonly progressIntervalMs: number;
  /** `CMK_JOB_LOCK_MS`: BullMQ lock duration; a killed worker's jobs are re-run after about this long. Default 30 000. */
  readonly lockDurationMs: number;
  /** `CMK_JOB_ATTEMPTS`: tries of a batch before its keys are left to the next round. Default 10. */
  readonly batchAttempts: number;
  /** `CMK_INDEX_WAIT_MS`: how long a plan/finalize job waits for the data-key index before retrying. Default 30 000. */
  readonly indexWaitMs: number;
  /**
   * `CMK_REWRAP_CHECK`: how each new wrapped form is checked before it is appended. `key-arn`: the
   * key KMS reports it used must be the key ring's destination key. `decrypt`: that, and the new
   * form is unwrapped with the destination key and compared with the plaintext (one more KMS
   * call per data key). Default `key-arn` (see docs/benchmarks.md for the cost of `decrypt`).
   */
  readonly rewrapCheck: RewrapCheck;
}

export const REWRAP_CHECKS = ['key-arn', 'decrypt'] as const;
export type RewrapCheck = (typeof REWRAP_CHECKS)[number];

export const DEFAULT_REENCRYPTION_SETTINGS: ReencryptionSettings = {
  batchSize: 500,
  workerConcurrency: 4,
  rewrapConcurrency: 16,
  kmsRateLimitPerSecond: 0,
  maxRounds: 3,
  progressIntervalMs: 2_000,
  lockDurationMs: 30_000,
  batchAttempts: 10,
  indexWaitMs: 30_000,
  rewrapCheck: 'key-arn',
};

/** Reads the settings through the app's reader (problems are collected, not thrown). */
export function readReencryptionSettings(reader: EnvReader): ReencryptionSettings {
  const d = DEFAULT_REENCRYPTION_SETTINGS;
  return {
    batchSize: reader.int('CMK_REENCRYPT_BATCH_SIZE', d.batchSize, 1, 10_000),
    workerConcurrency: reader.int('CMK_WORKER_CONCURRENCY', d.workerConcurrency, 1, 256),
    rewrapConcurrency: reader.int('CMK_REWRAP_CONCURRENCY', d.rewrapConcurrency, 1, 256),
    kmsRateLimitPerSecond: reader.int('CMK_KMS_RATE_LIMIT_PER_SECOND', d.kmsRateLimitPerSecond, 0, 1_000_000),
    maxRounds: reader.int('CMK_REENCRYPT_MAX_ROUNDS', d.maxRounds, 1, 20),
    progressIntervalMs: reader.int('CMK_REENCRYPT_PROGRESS_INTERVAL_MS', d.progressIntervalMs, 100, 60_000),
    lockDurationMs: reader.int('CMK_JOB_LOCK_MS', d.lockDurationMs, 1_000, 600_000),
    batchAttempts: reader.int('CMK_JOB_ATTEMPTS', d.batchAttempts, 1, 100),
    indexWaitMs: reader.int('CMK_INDEX_WAIT_MS', d.indexWaitMs, 100, 600_000),
    rewrapCheck: reader.oneOf('CMK_REWRAP_CHECK', d.rewrapCheck, REWRAP_CHECKS),
  };
}
