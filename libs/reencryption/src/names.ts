/**
 * Queue names, job ids and Redis keys of the re-encryption fleet, in one place. Job ids are
 * deterministic (a replayed event or a second dispatcher adds nothing new) and contain no `:`
 * (BullMQ reserves it for its own keys).
 */
export const QUEUES = {
  plan: 'cmk-reencrypt-plan',
  batch: 'cmk-reencrypt-batch',
  finalize: 'cmk-reencrypt-finalize',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** BullMQ's key prefix (its default); a parent reference needs `<prefix>:<queue>`. */
export const BULL_PREFIX = 'bull';

export const jobIds = {
  plan: (reencryptionId: string): string => `plan-${reencryptionId}`,
  finalize: (reencryptionId: string): string => `finalize-${reencryptionId}`,
  batch: (reencryptionId: string, round: number, page: number): string => `batch-${reencryptionId}-r${round}-p${page}`,
};

/** Redis keys owned by the fleet (`reenc:v1:*`), beside the read models' `rm:v1:*`. */
export const fleetKeys = {
  dispatcherCheckpoint: 'reenc:v1:dispatcher:checkpoint',
  /** Where the stranded-key reactor resumes (`stranded-key-reactor.ts`). */
  strandedCheckpoint: 'reenc:v1:stranded:checkpoint',
  /** Hash: total, done, failed, `code:<CODE>` counts of one run. */
  counters: (reencryptionId: string): string => `reenc:v1:run:${reencryptionId}:counters`,
  /** Set of data key ids this run counted (done or failed): makes counting idempotent. */
  seen: (reencryptionId: string): string => `reenc:v1:run:${reencryptionId}:seen`,
  /** Set of data key ids that failed in this run (they stay under their old key). */
  failed: (reencryptionId: string): string => `reenc:v1:run:${reencryptionId}:failed`,
  /** Hash of planned pages (`r<round>-p<page>` → size): totals are added once per page. */
  pages: (reencryptionId: string): string => `reenc:v1:run:${reencryptionId}:pages`,
  /** Short-lived gate that bounds how often a run appends `ReencryptionProgressed`. */
  progressGate: (reencryptionId: string): string => `reenc:v1:run:${reencryptionId}:progress-gate`,
  kmsBucket: (account: string): string => `reenc:v1:kms-bucket:${account}`,
  /** Fleet-wide metrics pushed by every worker (see `fleet-metrics.ts`). */
  metrics: 'reenc:v1:metrics',
  /** Batches processed per worker (`<workerName>` → count), for dashboards and tests. */
  batchesByWorker: 'reenc:v1:batches-by-worker',
};
