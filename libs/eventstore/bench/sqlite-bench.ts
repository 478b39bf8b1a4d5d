/**
 * Throughput of the embedded SQLite event store on this machine. Not a test: run it by hand.
 *
 *   TS_NODE_SWC=true node -r ts-node/register/transpile-only libs/eventstore/bench/sqlite-bench.ts [appends] [events]
 *
 * Measures single-event appends to distinct streams (each one a durable commit), batched
 * appends, `readAll` forwards in pages, and a subscription's catch-up over the same log.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventData, Position } from '@cmk/eventstore/port';
import { openSqliteEventStore } from '../src/sqlite/sqlite-event-store';

const appends = Number(process.argv[2] ?? 2_000);
const batchedEvents = Number(process.argv[3] ?? 100_000);

function event(i: number): EventData {
  return {
    id: randomUUID(),
    type: 'DataKeyIssued',
    data: { orgId: 'acme', scope: `env-${i}`, wrappedBy: 'platform', kekRef: 'local:platform:v1', wrapped: 'x'.repeat(120) },
    metadata: { actor: 'system', requestId: randomUUID(), occurredAt: new Date().toISOString() },
  };
}

function line(label: string, count: number, startedAt: bigint): void {
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  process.stdout.write(`${label.padEnd(48)} ${String(count).padStart(7)} in ${seconds.toFixed(2)} s = ${Math.round(count / seconds)}/s\n`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cmk-es-bench-'));
  const store = await openSqliteEventStore({ path: join(dir, 'events.sqlite') });
  try {
    let started = process.hrtime.bigint();
    for (let i = 0; i < appends; i += 1) {
      await store.appendToStream(`datakey-${randomUUID()}`, [event(i)], { expectedRevision: 'no_stream' });
    }
    line('single-event appends, distinct streams', appends, started);

    started = process.hrtime.bigint();
    for (let i = 0; i < batchedEvents; i += 100) {
      await store.appendToStream(`bench-${i}`, Array.from({ length: 100 }, (_, j) => event(i + j)));
    }
    line('appends of 100 events (events/s)', batchedEvents, started);

    started = process.hrtime.bigint();
    let read = 0;
    let from: Position | 'start' = 'start';
    for (;;) {
      const page = await store.readAll({ fromPosition: from, maxCount: 1_000 });
      const last = page[page.length - 1];
      read += last && from !== 'start' ? page.length - 1 : page.length;
      if (page.length < 1_000 || !last) break;
      from = last.position;
    }
    line('readAll forwards, pages of 1000 (events/s)', read, started);

    started = process.hrtime.bigint();
    let delivered = 0;
    const subscription = store.subscribeToAll({ fromPosition: 'start' });
    for await (const item of subscription) {
      if (item.kind === 'event') delivered += 1;
      if (item.kind === 'caught-up') break;
    }
    line('subscription catch-up from start (events/s)', delivered, started);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
