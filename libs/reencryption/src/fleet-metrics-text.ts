import type { Redis } from 'ioredis';
import { BATCH_SECONDS_BUCKETS, KMS_SECONDS_BUCKETS } from './fleet-metrics';
import { fleetKeys } from './names';

const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

function histogram(lines: string[], name: string, help: string, hash: Record<string, string>, key: string, bounds: readonly number[]): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
  let cumulative = 0;
  for (const bound of bounds) {
    cumulative += Number(hash[`h:${key}:${bound}`] ?? 0);
    lines.push(`${name}_bucket{le="${bound}"} ${cumulative}`);
  }
  lines.push(`${name}_bucket{le="+Inf"} ${Number(hash[`h:${key}:count`] ?? 0)}`);
  lines.push(`${name}_sum ${Number(hash[`h:${key}:sum_us`] ?? 0) / 1e6}`, `${name}_count ${Number(hash[`h:${key}:count`] ?? 0)}`);
}

/**
 * The fleet-wide metrics every worker pushes to Redis (see `FleetMetrics`), in the Prometheus
 * text format, for the api's `/metrics`.
 */
export async function renderFleetMetrics(redis: Redis): Promise<string> {
  const hash = await redis.hgetall(fleetKeys.metrics);
  const lines: string[] = [];
  lines.push('# HELP cmk_reencryption_rewraps_total Data keys rewrapped by the fleet.', '# TYPE cmk_reencryption_rewraps_total counter');
  lines.push(`cmk_reencryption_rewraps_total ${Number(hash['rewraps'] ?? 0)}`);
  lines.push('# HELP cmk_reencryption_failures_total Data keys that could not be rewrapped, by stable error code.', '# TYPE cmk_reencryption_failures_total counter');
  for (const [field, value] of Object.entries(hash)) {
    if (field.startsWith('failures:')) lines.push(`cmk_reencryption_failures_total{code="${escape(field.slice(9))}"} ${Number(value)}`);
  }
  lines.push('# HELP cmk_kms_calls_total KMS calls made by the fleet, by operation and result.', '# TYPE cmk_kms_calls_total counter');
  for (const [field, value] of Object.entries(hash)) {
    const match = /^kms_calls:([^:]+):(ok|error)$/.exec(field);
    if (match) lines.push(`cmk_kms_calls_total{operation="${escape(match[1])}",result="${match[2]}"} ${Number(value)}`);
  }
  const batches = await redis.hgetall(fleetKeys.batchesByWorker);
  lines.push('# HELP cmk_reencryption_batches_total Rewrap batches processed, by worker.', '# TYPE cmk_reencryption_batches_total counter');
  for (const [worker, value] of Object.entries(batches)) lines.push(`cmk_reencryption_batches_total{worker="${escape(worker)}"} ${Number(value)}`);
  histogram(lines, 'cmk_reencryption_batch_seconds', 'Time to process one rewrap batch.', hash, 'batch', BATCH_SECONDS_BUCKETS);
  histogram(lines, 'cmk_kms_call_seconds', 'Latency of one KMS call made by the fleet.', hash, 'kms', KMS_SECONDS_BUCKETS);
  return `${lines.join('\n')}\n`;
}
