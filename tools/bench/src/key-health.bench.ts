/**
 * `npm run bench:key-health`: what scheduling the key health probes costs a worker at scale.
 *
 * Seeds `BENCH_KEYS` (default 10 000) customer keys over orgs of 10 into the key-list read models
 * of a private redis-server, then times the scheduler's ticks: the first tick of a worker (adds
 * each key's next-slot job, delayed), its steady-state tick (adds nothing until a slot turns),
 * and a second worker's first tick (adds the same job ids: BullMQ keeps one). No probe runs (the
 * slots lie in the future); the probe's own cost is one STS and two KMS round trips. Prints the
 * figures and writes bench-results/key-health.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { openSqliteEventStore } from '@cmk/eventstore';
import { HEALTH_QUEUE, startKeyHealthFleet, DEFAULT_KEY_HEALTH_SETTINGS } from '@cmk/key-health';
import { ReadModelQueries } from '@cmk/read-models';
import { bullConnection } from '@cmk/reencryption';
import { RedisServer } from '@cmk/testing';

const KEYS = Number(process.env['BENCH_KEYS'] ?? 10_000);
const PER_ORG = 10;

async function main(): Promise<void> {
  const redisServer = await RedisServer.start();
  const redis = new Redis(redisServer.url);
  const dir = mkdtempSync(join(tmpdir(), 'cmk-bench-health-'));
  const store = await openSqliteEventStore({ path: join(dir, 'events.sqlite') });
  const queries = new ReadModelQueries(redis);
  try {
    const pipeline = redis.pipeline();
    for (let org = 0; org < KEYS / PER_ORG; org++) {
      const orgId = `bench-${org}`;
      const keys = Array.from({ length: PER_ORG }, (_, i) => ({
        id: `00000000-0000-4000-8000-${String(org * PER_ORG + i).padStart(12, '0')}`,
        name: `key-${i}`,
        type: 'aws_kms',
        awsKms: { roleArn: `arn:aws:iam::111122223333:role/${orgId}`, keyArn: 'arn:aws:kms:us-east-1:111122223333:key/x' },
        resolvedKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/x',
        isDefault: i === 0,
        state: 'active',
        canSetDefault: i !== 0,
        canDisable: i !== 0,
        addedAt: new Date().toISOString(),
      }));
      pipeline.set(queries.keys.keyList(orgId), JSON.stringify({ orgId, keys, defaultKeyId: keys[0].id, reencryption: null }));
    }
    await pipeline.exec();
    const memoryBefore = await usedMemory(redis);
    const never = { probe: () => Promise.reject(new Error('no probe expected in this benchmark')) };
    const quiet = { log: () => undefined, warn: () => undefined };
    const fleet = (name: string) =>
      startKeyHealthFleet({ store, redis, connection: bullConnection(redisServer.url, name), queries, probe: never, settings: DEFAULT_KEY_HEALTH_SETTINGS, logger: quiet, workerName: name });
    const timed = async (run: () => Promise<void>) => {
      const started = performance.now();
      await run();
      return Math.round(performance.now() - started);
    };
    const first = fleet('bench-w1');
    const firstTickMs = await timed(() => first.tick());
    const steadyTickMs = await timed(() => first.tick());
    const second = fleet('bench-w2');
    const secondWorkerFirstTickMs = await timed(() => second.tick());
    const queue = new Queue(HEALTH_QUEUE, { connection: bullConnection(redisServer.url, 'bench-count') });
    const delayedJobs = await queue.getDelayedCount();
    await queue.close();
    const memoryAfter = await usedMemory(redis);
    await Promise.all([first.close(), second.close()]);
    const result = {
      at: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      keys: KEYS,
      orgs: KEYS / PER_ORG,
      intervalSeconds: DEFAULT_KEY_HEALTH_SETTINGS.intervalSeconds,
      firstTickMs,
      steadyTickMs,
      secondWorkerFirstTickMs,
      delayedJobs,
      redisBytesPerKey: Math.round((memoryAfter - memoryBefore) / KEYS),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    mkdirSync('bench-results', { recursive: true });
    writeFileSync(join('bench-results', 'key-health.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await store.close();
    redis.disconnect();
    await redisServer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
