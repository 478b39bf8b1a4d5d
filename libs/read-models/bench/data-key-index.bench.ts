/**
 * How fast the data-key index ingests `DataKeyIssued` events.
 *
 *   npx ts-node --swc -r tsconfig-paths/register libs/read-models/bench/data-key-index.bench.ts [events] [batchSize] [runnerEvents]
 *
 * Two figures, each against a private redis-server:
 * 1. writer: decoded events applied straight through `ProjectionWriter.applyBatch` (Redis-bound cost);
 *    then pages through the whole platform set with `listDataKeys` (limit 1 000);
 * 2. runner: `runnerEvents` (default 50 000: appending to SQLite one event at a time is the slow
 *    part of the setup) events already in a SQLite event store file, projected by `startProjections` from
 *    position 0 until caught up (what a rebuild costs end to end, decoding included).
 * Prints with process.stdout because library lint forbids console.
 */
import { openSqliteEventStore, type EventStore } from '@cmk/eventstore';
import { RedisServer } from '@cmk/testing';
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toProjectedEvent, type ProjectedEvent } from '../src/codec/projected-event';
import { ProjectionWriter } from '../src/redis/projection-writer';
import { ReadModelQueries } from '../src/redis/read-model-queries';
import { startProjections } from '../src/runner/projection-runner';
import { dataKeyIssued, recorded, toEventData } from '@cmk/read-models/testing';

const EVENTS = Number(process.argv[2] ?? 200_000);
const BATCH = Number(process.argv[3] ?? 500);
const RUNNER_EVENTS = Number(process.argv[4] ?? 50_000);
const ORG = 'org-bench';

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function rate(count: number, ms: number): string {
  return `${count} events in ${(ms / 1000).toFixed(2)} s = ${Math.round((count * 1000) / ms).toLocaleString('en')} events/s`;
}

async function benchWriter(redis: Redis): Promise<void> {
  const writer = new ProjectionWriter(redis, 'rm:bench-writer');
  const events: ProjectedEvent[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const projected = toProjectedEvent(recorded(dataKeyIssued(ORG, `dk${i}`, i % 10 === 0 ? 'k1' : 'platform'), i + 1));
    if (projected) events.push(projected);
  }
  const started = performance.now();
  for (let i = 0; i < events.length; i += BATCH) {
    const batch = events.slice(i, i + BATCH);
    await writer.applyBatch(batch, batch[batch.length - 1].position);
  }
  print(`writer (batch ${BATCH}): ${rate(events.length, performance.now() - started)}`);
  const queries = new ReadModelQueries(redis, 'rm:bench-writer');
  print(`  counts: ${JSON.stringify(await queries.countsByWrappingKey(ORG))}`);
  const pagingStarted = performance.now();
  let pages = 0;
  let ids = 0;
  let cursor: string | undefined;
  do {
    const page = await queries.listDataKeys(ORG, 'platform', { cursor, limit: 1000 });
    pages++;
    ids += page.ids.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  const pagingMs = performance.now() - pagingStarted;
  print(`  listDataKeys: ${ids} ids in ${pages} pages, ${(pagingMs / 1000).toFixed(2)} s (${(pagingMs / pages).toFixed(2)} ms/page)`);
}

async function benchRunner(redis: Redis, store: EventStore): Promise<void> {
  let appendStarted = performance.now();
  for (let i = 0; i < RUNNER_EVENTS; i++) {
    const event = dataKeyIssued(ORG, `dk${i}`, 'platform');
    await store.appendToStream(event.stream, [toEventData(event)]);
  }
  print(`(setup: appended ${rate(RUNNER_EVENTS, performance.now() - appendStarted)})`);
  appendStarted = performance.now();
  const runner = startProjections({ store, redis, namespace: 'rm:bench-runner', batchSize: BATCH });
  const reached = await runner.waitForPosition(await store.headPosition(), 600_000);
  const elapsed = performance.now() - appendStarted;
  await runner.stop();
  print(`runner from position 0 (batch ${BATCH}): ${reached ? rate(RUNNER_EVENTS, elapsed) : 'did not catch up'}`);
}

async function main(): Promise<void> {
  const server = await RedisServer.start();
  const redis = new Redis(server.url);
  const dir = mkdtempSync(join(tmpdir(), 'cmk-bench-'));
  const store = await openSqliteEventStore({ path: join(dir, 'events.db') });
  try {
    await benchWriter(redis);
    await benchRunner(redis, store);
    const memory = await redis.info('memory');
    print(`redis used_memory: ${/used_memory_human:(\S+)/.exec(memory)?.[1] ?? '?'} with ${EVENTS} + ${RUNNER_EVENTS} data keys indexed`);
  } finally {
    await store.close();
    redis.disconnect();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
