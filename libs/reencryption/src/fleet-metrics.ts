import type { Redis } from 'ioredis';
import { fleetKeys } from './names';

/** Histogram bucket bounds in seconds. */
export const BATCH_SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
export const KMS_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

type HistogramName = 'batch' | 'kms';

/**
 * Fleet-wide metrics: each worker adds its counts to one Redis hash (flushed about once a
 * second), and the api renders that hash on `/metrics`. One scrape target sees the whole fleet,
 * however many workers come and go; the cost is up to one flush interval of delay, and counts
 * of a SIGKILLed worker's last second are lost (they are metrics, not the run's counters).
 */
export class FleetMetrics {
  private counts = new Map<string, number>();
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    /** Flush period in ms. Default 1 000. */
    flushIntervalMs = 1_000,
  ) {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), flushIntervalMs);
    this.timer.unref();
  }

  rewrapped(n: number): void {
    this.add('rewraps', n);
  }

  /** A run this worker finished (it appended the outcome event). */
  runFinished(outcome: 'completed' | 'failed'): void {
    this.add(`runs:${outcome}`, 1);
  }

  failed(code: string): void {
    this.add(`failures:${code}`, 1);
  }

  /** A job refused before it touched anything (its payload or its run disagrees with the key ring). */
  refused(queue: string, reason: string): void {
    this.add(`refused:${queue}:${reason}`, 1);
  }

  kmsCall(operation: string, seconds: number, result: 'ok' | 'throttled' | 'error'): void {
    this.add(`kms_calls:${operation}:${result}`, 1);
    this.observe('kms', seconds);
  }

  batch(seconds: number): void {
    this.observe('batch', seconds);
  }

  private observe(name: HistogramName, seconds: number): void {
    const buckets = name === 'batch' ? BATCH_SECONDS_BUCKETS : KMS_SECONDS_BUCKETS;
    const le = buckets.find((bound) => seconds <= bound);
    this.add(`h:${name}:${le === undefined ? '+Inf' : String(le)}`, 1);
    this.add(`h:${name}:count`, 1);
    this.add(`h:${name}:sum_us`, Math.round(seconds * 1e6));
  }

  private add(field: string, n: number): void {
    this.counts.set(field, (this.counts.get(field) ?? 0) + n);
  }

  async flush(): Promise<void> {
    if (this.counts.size === 0) return;
    const counts = this.counts;
    this.counts = new Map();
    const pipeline = this.redis.pipeline();
    for (const [field, n] of counts) pipeline.hincrby(fleetKeys.metrics, field, n);
    await pipeline.exec();
  }

  async close(): Promise<void> {
    this.stop();
    await this.flush().catch(() => undefined);
  }

  /** Stops flushing without a last write (Redis is unreachable: the write would never return). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
