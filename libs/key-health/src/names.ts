/**
 * Queue, job ids and Redis keys of key health, in one place. A probe's job id names the key and
 * the interval slot, so every worker that schedules it adds the same job: N workers, one probe
 * per key per interval. Ids contain no `:` (BullMQ reserves it).
 */
export const HEALTH_QUEUE = 'cmk-key-health';

export const healthJobIds = {
  probe: (orgId: string, keyId: string, slot: number): string => `probe-${orgId}-${keyId}-${slot}`,
};

/** Redis keys (`health:v1:*`), beside the read models' `rm:v1:*`. */
export const healthKeys = {
  /** Hash: key id → JSON `HealthRecord` of one org. */
  records: (orgId: string): string => `health:v1:records:${orgId}`,
  recordsPattern: 'health:v1:records:*',
  orgOf: (redisKey: string): string => redisKey.slice('health:v1:records:'.length),
  /** Short-lived lock: an admin's "check now" of one key at most every few seconds. */
  checkCooldown: (orgId: string, keyId: string): string => `health:v1:check-cooldown:${orgId}:${keyId}`,
  /** Hash of probe-latency histogram counts pushed by every worker. */
  metrics: 'health:v1:metrics',
};
