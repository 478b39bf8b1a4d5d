/**
 * Throughput of the embedded SQLite event store on this machine. Not a test: run it by hand.
 *
 *   npm run bench:eventstore            (both stores, default sizes)
 *   npm run -s build && node dist/libs/eventstore/bench/sqlite-bench.js [appends] [events] [rewrap keys]
 *
 * The workloads (shared with `postgres-bench.ts`) are in `store-workloads.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteEventStore } from '../src/sqlite/sqlite-event-store';
import { runStoreWorkloads } from './store-workloads';

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cmk-es-bench-'));
  const store = await openSqliteEventStore({ path: join(dir, 'events.sqlite') });
  try {
    await runStoreWorkloads('sqlite', store, { appends: Number(process.argv[2] ?? 2_000), batchedEvents: Number(process.argv[3] ?? 100_000), rewrapKeys: Number(process.argv[4] ?? 20_000) });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
