/**
 * The event-store component workloads, shared by the SQLite and PostgreSQL benches so their
 * figures compare: single-event appends to distinct streams one at a time (each a durable
 * commit) and 64 in flight (group commit), 100-event appends, `readAll` forwards in pages of
 * 1000, a subscription's catch-up from the start, and the rewrap pattern (`rewrap-workload.ts`,
 * with CPU per key). Results are printed and merged into
 * `bench-results/eventstore.json` under the adapter's name.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { EventData, EventStore, Position } from '@cmk/eventstore/port';
import { runRewrapWorkload, type RewrapWorkloadResult } from './rewrap-workload';

export interface WorkloadSizes {
  readonly appends: number;
  readonly batchedEvents: number;
  /** Data keys of the rewrap workload (`rewrap-workload.ts`). */
  readonly rewrapKeys: number;
}

function event(i: number): EventData {
  return {
    id: randomUUID(),
    type: 'DataKeyIssued',
    data: { orgId: 'acme', scope: `env-${i}`, wrappedBy: 'platform', kekRef: 'local:platform:v1', wrapped: 'x'.repeat(120) },
    metadata: { actor: 'system', requestId: randomUUID(), occurredAt: new Date().toISOString() },
  };
}

async function timed(label: string, count: number, run: () => Promise<number | void>, results: Record<string, number>): Promise<void> {
  const started = process.hrtime.bigint();
  const counted = (await run()) ?? count;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = Math.round(counted / seconds);
  results[label] = rate;
  process.stdout.write(`${label.padEnd(52)} ${String(counted).padStart(7)} in ${seconds.toFixed(2)} s = ${rate}/s\n`);
}

/** `serverPids`: the store's server processes serving this run (their CPU is counted beside this process's). */
export async function runStoreWorkloads(adapter: string, store: EventStore, sizes: WorkloadSizes, serverPids?: () => Promise<readonly number[]>): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  const loadBefore = loadavg()[0];
  await timed('single-event appends, one at a time (appends/s)', sizes.appends, async () => {
    for (let i = 0; i < sizes.appends; i += 1) await store.appendToStream(`datakey-${randomUUID()}`, [event(i)], { expectedRevision: 'no_stream' });
  }, results);
  await timed('single-event appends, 64 in flight (appends/s)', sizes.appends * 5, async () => {
    let next = 0;
    const lane = async () => {
      while (next < sizes.appends * 5) {
        const i = next++;
        await store.appendToStream(`datakey-${randomUUID()}`, [event(i)], { expectedRevision: 'no_stream' });
      }
    };
    await Promise.all(Array.from({ length: 64 }, lane));
  }, results);
  await timed('appends of 100 events (events/s)', sizes.batchedEvents, async () => {
    for (let i = 0; i < sizes.batchedEvents; i += 100) await store.appendToStream(`bench-${randomUUID()}`, Array.from({ length: 100 }, (_, j) => event(i + j)));
  }, results);
  await timed('readAll forwards, pages of 1000 (events/s)', 0, async () => {
    let read = 0;
    let from: Position | 'start' = 'start';
    for (;;) {
      const page = await store.readAll({ fromPosition: from, maxCount: 1_000 });
      const last = page[page.length - 1];
      read += last && from !== 'start' ? page.length - 1 : page.length;
      if (page.length < 1_000 || !last) return read;
      from = last.position;
    }
  }, results);
  await timed('subscription catch-up from start (events/s)', 0, async () => {
    let delivered = 0;
    const subscription = store.subscribeToAll({ fromPosition: 'start' });
    for await (const item of subscription) {
      if (item.kind === 'event') delivered += 1;
      if (item.kind === 'caught-up') break;
    }
    await subscription.unsubscribe();
    return delivered;
  }, results);
  const rewrap = await runRewrapWorkload(store, sizes.rewrapKeys, serverPids);
  results['rewrap pattern with 5 live subscriptions (keys/s)'] = rewrap.keysPerSecond;
  process.stdout.write(`${'rewrap pattern with 5 live subscriptions (keys/s)'.padEnd(52)} ${String(rewrap.keys).padStart(7)} in ${rewrap.seconds.toFixed(2)} s = ${rewrap.keysPerSecond}/s; CPU ms per key ${JSON.stringify(rewrap.cpuMsPerKey)}\n`);
  const loadAfter = loadavg()[0];
  process.stdout.write(`load average (1 min) before/after: ${loadBefore.toFixed(1)} / ${loadAfter.toFixed(1)} on ${cpus().length} cores\n`);
  record(adapter, sizes, results, rewrap, [loadBefore, loadAfter]);
  return results;
}

function record(adapter: string, sizes: WorkloadSizes, results: Record<string, number>, rewrap: RewrapWorkloadResult, load: number[]): void {
  const out = 'bench-results/eventstore.json';
  mkdirSync('bench-results', { recursive: true });
  const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>) : {};
  const entry = { measuredAt: new Date().toISOString(), sizes, loadAverage: load.map((l) => Number(l.toFixed(1))), cpus: cpus().length, node: process.version, results, rewrapCpuMsPerKey: rewrap.cpuMsPerKey };
  writeFileSync(out, `${JSON.stringify({ ...previous, [adapter]: entry }, null, 2)}\n`);
}
