import type { Redis } from 'ioredis';
import type { HealthStore } from './health-store';
import { healthKeys } from './names';

export const PROBE_SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];

/**
 * Probe latency pushed by every worker to one Redis hash (the fleet-metrics pattern: one
 * scrape of the api sees the whole fleet). Written at once: probes are rare.
 */
export class HealthMetrics {
  constructor(private readonly redis: Redis) {}

  probed(seconds: number): void {
    const le = PROBE_SECONDS_BUCKETS.find((bound) => seconds <= bound);
    this.redis
      .pipeline()
      .hincrby(healthKeys.metrics, `h:${le === undefined ? '+Inf' : String(le)}`, 1)
      .hincrby(healthKeys.metrics, 'h:count', 1)
      .hincrby(healthKeys.metrics, 'h:sum_us', Math.round(seconds * 1e6))
      .exec()
      .catch(() => undefined);
  }
}

const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/** `cmk_key_health_state` (1 for each key's current state) and `cmk_key_health_probe_seconds`, Prometheus text. */
export async function renderHealthMetrics(redis: Redis, health: HealthStore): Promise<string> {
  const lines = ['# HELP cmk_key_health_state Declared health of each customer key (1 for its current state).', '# TYPE cmk_key_health_state gauge'];
  for (const record of await health.all()) {
    lines.push(`cmk_key_health_state{org="${escape(record.orgId)}",key_id="${escape(record.keyId)}",state="${record.state}"} 1`);
  }
  const hash = await redis.hgetall(healthKeys.metrics);
  lines.push('# HELP cmk_key_health_probe_seconds Latency of one key health canary (assume role, GenerateDataKey, Decrypt).', '# TYPE cmk_key_health_probe_seconds histogram');
  let cumulative = 0;
  for (const bound of PROBE_SECONDS_BUCKETS) {
    cumulative += Number(hash[`h:${bound}`] ?? 0);
    lines.push(`cmk_key_health_probe_seconds_bucket{le="${bound}"} ${cumulative}`);
  }
  const count = Number(hash['h:count'] ?? 0);
  lines.push(`cmk_key_health_probe_seconds_bucket{le="+Inf"} ${count}`, `cmk_key_health_probe_seconds_sum ${Number(hash['h:sum_us'] ?? 0) / 1e6}`, `cmk_key_health_probe_seconds_count ${count}`);
  return `${lines.join('\n')}\n`;
}
