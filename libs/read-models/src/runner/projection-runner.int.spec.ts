import type { EventStore } from '@cmk/eventstore';
import { RedisServer, waitFor } from '@cmk/testing';
import { Redis } from 'ioredis';
import { toProjectedEvent, type ProjectedEvent } from '../codec/projected-event';
import { ProjectionWriter } from '../redis/projection-writer';
import { ReadModelQueries } from '../redis/read-model-queries';
import { dataKeyIssued, keyAdded, appendAll, expectedModel, openTestStore, queriedModel, dumpNamespace, interleave, orgLife } from '@cmk/read-models/testing';
import { startProjections, type ProjectionLogger, type ProjectionRunner } from './projection-runner';

let server: RedisServer;
let redis: Redis;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url, { maxRetriesPerRequest: 3 });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

async function testStore(): Promise<EventStore> {
  const { store, dispose } = await openTestStore();
  cleanups.push(dispose);
  return store;
}

function run(store: EventStore, namespace: string, client: Redis = redis, logger?: ProjectionLogger): ProjectionRunner {
  const runner = startProjections({ store, redis: client, namespace, logger, batchSize: 50, flushIntervalMs: 5, initialBackoffMs: 20, maxBackoffMs: 200 });
  cleanups.push(() => runner.stop());
  return runner;
}

async function caughtUp(runner: ProjectionRunner, store: EventStore): Promise<void> {
  expect(await runner.waitForPosition(await store.headPosition(), 20_000)).toBe(true);
}

describe('projection runner (real Redis, SQLite event store)', () => {
  it('follows appended events, and a query after waitForPosition sees the command', async () => {
    const store = await testStore();
    const ns = 'rm:r1';
    const runner = run(store, ns);
    const queries = new ReadModelQueries(redis, ns);
    await appendAll(store, interleave(orgLife('org-r1a', 20), orgLife('org-r1b', 12)));
    await caughtUp(runner, store);
    for (const orgId of ['org-r1a', 'org-r1b']) expect(await queriedModel(queries, orgId)).toEqual(await expectedModel(store, orgId));
    expect((await queries.getKeyList('org-r1a')).keys.map((k) => [k.id, k.state])).toEqual([
      ['org-r1a-k1', 'disabling'],
      ['org-r1a-k2', 'active'],
    ]);

    // Read-your-writes: wait for the append's own position, then query.
    const event = keyAdded('org-r1a', 'org-r1a-k3');
    const { position } = await store.appendToStream(event.stream, [{ id: crypto.randomUUID(), type: event.type, data: event.data, metadata: event.metadata }]);
    expect(await runner.waitForPosition(position, 5000)).toBe(true);
    expect((await queries.getKeyList('org-r1a')).keys.map((k) => k.id)).toContain('org-r1a-k3');
    expect(await queries.checkpoint()).toEqual(runner.position());
  });

  it('the same events delivered again change nothing', async () => {
    const store = await testStore();
    const ns = 'rm:r2';
    const runner = run(store, ns);
    await appendAll(store, orgLife('org-r2', 15));
    await caughtUp(runner, store);
    const before = await dumpNamespace(redis, ns, { withCheckpoint: true });
    const all = (await store.readAll()).map(toProjectedEvent).filter((e): e is ProjectedEvent => e !== undefined);
    const writer = new ProjectionWriter(redis, ns);
    expect((await writer.applyBatch(all, await store.headPosition())).applied).toBe(0);
    expect((await writer.applyBatch(all.slice(10, 40), all[39].position)).applied).toBe(0);
    expect(await dumpNamespace(redis, ns, { withCheckpoint: true })).toEqual(before);
  });

  it('flushing Redis and replaying from position 0 rebuilds exactly the same read models', async () => {
    const store = await testStore();
    const ns = 'rm:r3';
    const first = run(store, ns);
    await appendAll(store, interleave(orgLife('org-r3a', 25), orgLife('org-r3b', 10)));
    await caughtUp(first, store);
    const before = await dumpNamespace(redis, ns, { withCheckpoint: true });
    expect(Object.keys(before).length).toBeGreaterThan(8);
    await first.stop();
    await redis.flushdb();
    expect(await dumpNamespace(redis, ns)).toEqual({});
    const second = run(store, ns);
    await caughtUp(second, store);
    expect(await dumpNamespace(redis, ns, { withCheckpoint: true })).toEqual(before);
  });

  it('two runners at once produce what one runner produces', async () => {
    const store = await testStore();
    const [pair, single] = ['rm:r4pair', 'rm:r4single'];
    const a = run(store, pair);
    const b = run(store, pair);
    const events = interleave(orgLife('org-r4a', 20), orgLife('org-r4b', 20));
    await appendAll(store, events.slice(0, 100));
    const c = run(store, pair);
    await appendAll(store, events.slice(100));
    await Promise.all([caughtUp(a, store), caughtUp(b, store), caughtUp(c, store)]);
    const alone = run(store, single);
    await caughtUp(alone, store);
    const strip = (dump: Record<string, unknown>, ns: string) => Object.fromEntries(Object.entries(dump).map(([k, v]) => [k.slice(ns.length), v]));
    expect(strip(await dumpNamespace(redis, pair, { withCheckpoint: true }), pair)).toEqual(strip(await dumpNamespace(redis, single, { withCheckpoint: true }), single));
    for (const orgId of ['org-r4a', 'org-r4b']) expect(await queriedModel(new ReadModelQueries(redis, pair), orgId)).toEqual(await expectedModel(store, orgId));
  });

  it('resumes and catches up after Redis is killed and restarted mid-stream', async () => {
    const store = await testStore();
    const durable = await RedisServer.start({ appendOnly: true });
    const client = new Redis(durable.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    client.on('error', () => undefined);
    cleanups.push(async () => {
      client.disconnect();
      await durable.stop();
    });
    const ns = 'rm:r5';
    const errors: string[] = [];
    const logger: ProjectionLogger = { log: () => undefined, warn: () => undefined, error: (message) => errors.push(message) };
    const runner = run(store, ns, client, logger);
    const events = interleave(orgLife('org-r5a', 30), orgLife('org-r5b', 30));
    const third = Math.floor(events.length / 3);
    await appendAll(store, events.slice(0, third));
    await caughtUp(runner, store);
    const appending = appendAll(store, events.slice(third, 2 * third));
    await durable.kill();
    await appending;
    await waitFor(() => errors.length > 0, { description: 'the runner to notice the outage' });
    await appendAll(store, [dataKeyIssued('org-r5a', 'org-r5a-late', 'platform')]);
    await durable.restart();
    await appendAll(store, events.slice(2 * third));
    await caughtUp(runner, store);
    const queries = new ReadModelQueries(client, ns);
    await waitFor(async () => (await queries.checkpoint())?.commit === (await store.headPosition()).commit);
    for (const orgId of ['org-r5a', 'org-r5b']) expect(await queriedModel(queries, orgId)).toEqual(await expectedModel(store, orgId));
  });

  it('steps over an event it cannot decode, loudly, and keeps projecting', async () => {
    const store = await testStore();
    const ns = 'rm:r6';
    const errors: string[] = [];
    const runner = run(store, ns, redis, { log: () => undefined, warn: () => undefined, error: (message) => errors.push(message) });
    const bad = keyAdded('org-r6', 'bad');
    await appendAll(store, [{ ...bad, data: { orgId: 'org-r6', keyId: 'bad' } }, keyAdded('org-r6', 'good')]);
    await caughtUp(runner, store);
    expect(errors).toEqual(['skipping an event the read models cannot decode']);
    expect((await new ReadModelQueries(redis, ns).getKeyList('org-r6')).keys.map((k) => k.id)).toEqual(['good']);
  });

  it('moves the checkpoint past events it does not subscribe to', async () => {
    const store = await testStore();
    const ns = 'rm:r7';
    const runner = run(store, ns);
    await appendAll(store, [keyAdded('org-r7', 'k1')]);
    const orgEvents = Array.from({ length: 30 }, (_, i) => ({ stream: `org-r7x${i}`, type: 'OrganizationRegistered', data: { orgId: `r7x${i}` }, metadata: {} }));
    await appendAll(store, orgEvents);
    await caughtUp(runner, store);
    expect(await new ReadModelQueries(redis, ns).checkpoint()).toEqual(await store.headPosition());
  });
});
