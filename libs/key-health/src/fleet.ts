import { Queue, Worker, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EventStore } from '@cmk/eventstore';
import type { KeyView, ReadModelQueries } from '@cmk/read-models';
import { KeyHealthChecker, type Probe } from './checker';
import { HealthStore } from './health-store';
import { HealthMetrics } from './metrics';
import { HEALTH_QUEUE, healthJobIds } from './names';
import { slotOf, slotStart, tickMs } from './schedule';
import type { KeyHealthSettings } from './settings';

export interface HealthLogger {
  log(message: string): void;
  warn(message: string): void;
}

export interface KeyHealthFleetOptions {
  /** Outages of Redis are reported here instead of logged (the apps' dependency-health service). */
  readonly outages?: { noticed(error: unknown, source: string): boolean };
  readonly store: EventStore;
  readonly redis: Redis;
  /** BullMQ connection options (the re-encryption fleet's `bullConnection`). */
  readonly connection: ConnectionOptions;
  readonly queries: ReadModelQueries;
  readonly probe: Probe;
  readonly settings: KeyHealthSettings;
  readonly logger: HealthLogger;
  readonly workerName: string;
  /** Probes in flight per worker. Default 4. */
  readonly concurrency?: number;
}

export interface KeyHealthFleet {
  readonly checker: KeyHealthChecker;
  /** One scheduling pass (the timer runs it every tick; tests call it to avoid waiting). */
  tick(): Promise<void>;
  close(): Promise<void>;
}

interface ProbeJobData {
  readonly orgId: string;
  readonly keyId: string;
  readonly slot: number;
}

/** Keys still in use for unwrapping: active and disabling ones (a disabled key wraps nothing any more). */
const probed = (key: KeyView) => key.state !== 'disabled';

/**
 * Every worker runs a scheduler tick and a probe worker. The tick lists the keys from the key
 * list read models and adds, for each key, the job `probe-<org>-<key>-<slot>` of its next slot,
 * delayed to that slot's start; BullMQ ignores an id it already holds, and completed jobs are
 * kept two intervals so a late tick cannot add the same slot again. The job carries ids only; the worker reads the key again
 * (it may have been disabled since) and runs the check.
 */
export function startKeyHealthFleet(options: KeyHealthFleetOptions): KeyHealthFleet {
  const { store, redis, connection, queries, probe, settings, logger } = options;
  const intervalMs = settings.intervalSeconds * 1000;
  const health = new HealthStore(redis);
  const checker = new KeyHealthChecker({ store, health, probe, settings, metrics: new HealthMetrics(redis) });
  const queue = new Queue<ProbeJobData>(HEALTH_QUEUE, { connection });
  const keepSeconds = Math.max(60, settings.intervalSeconds * 2);

  const worker = new Worker<ProbeJobData>(
    HEALTH_QUEUE,
    async (job: Job<ProbeJobData>) => {
      const { orgId, keyId } = job.data;
      const key = (await queries.getKeyList(orgId)).keys.find((k) => k.id === keyId);
      if (!key || !probed(key)) return { skipped: true };
      const record = await checker.check({ orgId, keyId, roleArn: key.awsKms.roleArn, resolvedKeyArn: key.resolvedKeyArn });
      return { state: record.state, worker: options.workerName };
    },
    { connection, name: options.workerName, concurrency: options.concurrency ?? 4 },
  );
  worker.on('failed', (job, error) => logger.warn(`key health probe ${job?.id ?? '?'} failed: ${error.message}`));
  // Outages of Redis go to the process's dependency-health service (one line per outage); the
  // queue needs a listener too, or BullMQ prints each connection error raw on stderr.
  const onError = (what: string) => (error: Error) => {
    if (!options.outages?.noticed(error, `key health ${what}`)) logger.warn(`key health ${what} error: ${error.message}`);
  };
  worker.on('error', onError('worker'));
  queue.on('error', onError('queue'));

  // The slot this process last added per key: each key costs one Redis call per interval, not per tick.
  const added = new Map<string, number>();
  const tick = async (): Promise<void> => {
    const now = Date.now();
    const seen = new Set<string>();
    for await (const orgId of orgsWithKeys(redis, queries)) {
      const doc = await queries.getKeyList(orgId);
      const live = doc.keys.filter(probed);
      const due: { name: string; data: ProbeJobData; opts: JobsOptions }[] = [];
      for (const key of live) {
        // The next slot, delayed to its start: a key's first probe too lands at its own offset,
        // so a restart of the fleet (or a new key) never probes everything at once.
        const slot = slotOf(orgId, key.id, intervalMs, now) + 1;
        seen.add(`${orgId}/${key.id}`);
        if (added.get(`${orgId}/${key.id}`) === slot) continue;
        const delay = Math.max(0, slotStart(orgId, key.id, intervalMs, slot) - now);
        const jobId = healthJobIds.probe(orgId, key.id, slot);
        due.push({ name: 'probe', data: { orgId, keyId: key.id, slot }, opts: { jobId, delay, removeOnComplete: { age: keepSeconds }, removeOnFail: { age: keepSeconds }, attempts: 2, backoff: { type: 'exponential', delay: 1_000 } } });
      }
      // One round trip per org: BullMQ still keeps a single job per id. Remembered only once added.
      if (due.length > 0) await queue.addBulk(due);
      for (const job of due) added.set(`${orgId}/${job.data.keyId}`, job.data.slot);
      const stale = Object.keys(await health.list(orgId)).filter((keyId) => !live.some((key) => key.id === keyId));
      for (const keyId of stale) await health.remove(orgId, keyId);
    }
    for (const key of added.keys()) if (!seen.has(key)) added.delete(key);
  };

  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => (stopped ? undefined : tick().catch((error: unknown) => logger.warn(`key health scheduling: ${error instanceof Error ? error.message : String(error)}`))));
  }, tickMs(intervalMs));
  logger.log(`key health: probing every ${settings.intervalSeconds} s, ${settings.confirmations} confirmation(s) for a decision state`);

  return {
    checker,
    tick,
    async close() {
      stopped = true;
      clearInterval(timer);
      await running;
      await worker.close();
      await queue.close();
    },
  };
}

/** Org logins that have a key list document (SCAN: no list of orgs is kept anywhere else). */
async function* orgsWithKeys(redis: Redis, queries: ReadModelQueries): AsyncGenerator<string> {
  const prefix = queries.keys.keyList('');
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) yield key.slice(prefix.length);
  } while (cursor !== '0');
}
