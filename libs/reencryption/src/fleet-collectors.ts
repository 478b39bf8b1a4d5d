import type { Redis } from 'ioredis';
import { Counter, type Metric, type Registry } from 'prom-client';
import { BATCH_SECONDS_BUCKETS, KMS_SECONDS_BUCKETS } from './fleet-metrics';
import { fleetKeys } from './names';

type Hash = Record<string, string>;

/**
 * One read of the fleet hashes per scrape, shared by every collector below (they are collected
 * concurrently by the registry).
 */
class FleetSnapshot {
  private pending: Promise<{ metrics: Hash; batches: Hash }> | undefined;
  private last: { metrics: Hash; batches: Hash } = { metrics: {}, batches: {} };

  constructor(
    private readonly redis: Redis,
    private readonly available: () => boolean,
  ) {}

  read(): Promise<{ metrics: Hash; batches: Hash }> {
    // During a Redis outage a read would wait for its return: the scrape answers with the last
    // counts instead (counters must not drop to 0), so `cmk_dependency_up` 0 still gets out.
    if (!this.available()) return Promise.resolve(this.last);
    this.pending ??= Promise.all([this.redis.hgetall(fleetKeys.metrics), this.redis.hgetall(fleetKeys.batchesByWorker)])
      .then(([metrics, batches]) => (this.last = { metrics, batches }))
      .finally(() => setTimeout(() => (this.pending = undefined), 250).unref());
    return this.pending;
  }
}

/**
 * A histogram whose buckets are kept by the fleet in Redis (`FleetMetrics` adds to them from
 * every worker): prom-client's own Histogram can only observe, so this implements the small
 * metric interface a Registry collects (`name`, `get`, `reset`).
 */
class FleetHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly key: string,
    private readonly bounds: readonly number[],
    private readonly snapshot: FleetSnapshot,
  ) {}

  async get() {
    const { metrics: hash } = await this.snapshot.read();
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    let cumulative = 0;
    for (const bound of this.bounds) {
      cumulative += Number(hash[`h:${this.key}:${bound}`] ?? 0);
      values.push({ metricName: `${this.name}_bucket`, labels: { le: bound }, value: cumulative });
    }
    const count = Number(hash[`h:${this.key}:count`] ?? 0);
    values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf' }, value: count });
    values.push({ metricName: `${this.name}_sum`, labels: {}, value: Number(hash[`h:${this.key}:sum_us`] ?? 0) / 1e6 });
    values.push({ metricName: `${this.name}_count`, labels: {}, value: count });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    // The fleet owns these counts; a registry reset must not (and cannot) clear them.
  }
}

/**
 * Registers the fleet-wide metrics every worker pushes to Redis (see `FleetMetrics`) as
 * prom-client collectors on `registry`, read from Redis on each scrape. One scrape target (the
 * api) sees the whole fleet however many workers come and go.
 */
export function registerFleetCollectors(registry: Registry, redis: Redis, available: () => boolean = () => true): void {
  const snapshot = new FleetSnapshot(redis, available);
  new Counter({
    name: 'cmk_reencryption_rewraps_total',
    help: 'Data keys rewrapped by the fleet.',
    registers: [registry],
    async collect() {
      const { metrics } = await snapshot.read();
      this.reset();
      this.inc(Number(metrics['rewraps'] ?? 0));
    },
  });
  new Counter({
    name: 'cmk_reencryption_failures_total',
    help: 'Data keys that could not be rewrapped, by stable error code.',
    labelNames: ['code'],
    registers: [registry],
    async collect() {
      const { metrics } = await snapshot.read();
      this.reset();
      for (const [field, value] of Object.entries(metrics)) if (field.startsWith('failures:')) this.inc({ code: field.slice(9) }, Number(value));
    },
  });
  new Counter({
    name: 'cmk_reencryption_runs_finished_total',
    help: 'Re-encryption runs finished by the fleet, by outcome (completed, failed).',
    labelNames: ['outcome'],
    registers: [registry],
    async collect() {
      const { metrics } = await snapshot.read();
      this.reset();
      // Both series always exist, so `increase(...{outcome="failed"})` works before the first failure.
      for (const outcome of ['completed', 'failed']) this.inc({ outcome }, Number(metrics[`runs:${outcome}`] ?? 0));
    },
  });
  new Counter({
    name: 'cmk_reencryption_jobs_refused_total',
    help: 'Re-encryption jobs refused before touching a data key, by queue (plan, batch, finalize) and reason (malformed, unknown_run, run_not_running, keys_disagree).',
    labelNames: ['queue', 'reason'],
    registers: [registry],
    async collect() {
      const { metrics } = await snapshot.read();
      this.reset();
      for (const [field, value] of Object.entries(metrics)) {
        const match = /^refused:(plan|batch|finalize):([a-z_]+)$/.exec(field);
        if (match) this.inc({ queue: match[1], reason: match[2] }, Number(value));
      }
    },
  });
  new Counter({
    name: 'cmk_kms_calls_total',
    help: 'KMS calls made by the fleet, by operation and result (ok, throttled, error).',
    labelNames: ['operation', 'result'],
    registers: [registry],
    async collect() {
      const { metrics } = await snapshot.read();
      this.reset();
      for (const [field, value] of Object.entries(metrics)) {
        const match = /^kms_calls:([^:]+):(ok|throttled|error)$/.exec(field);
        if (match) this.inc({ operation: match[1], result: match[2] }, Number(value));
      }
    },
  });
  new Counter({
    name: 'cmk_reencryption_batches_total',
    help: 'Rewrap batches processed, by worker.',
    labelNames: ['worker'],
    registers: [registry],
    async collect() {
      const { batches } = await snapshot.read();
      this.reset();
      for (const [worker, value] of Object.entries(batches)) this.inc({ worker }, Number(value));
    },
  });
  // The registry only calls `name`, `get` and `reset`; `Metric`'s declared type also lists the
  // internals of prom-client's own classes, hence the cast.
  for (const histogram of [
    new FleetHistogram('cmk_reencryption_batch_seconds', 'Time to process one rewrap batch.', 'batch', BATCH_SECONDS_BUCKETS, snapshot),
    new FleetHistogram('cmk_kms_call_seconds', 'Latency of one KMS call made by the fleet.', 'kms', KMS_SECONDS_BUCKETS, snapshot),
  ]) {
    registry.registerMetric(histogram as unknown as Metric);
  }
}
