/**
 * Throughput of the PostgreSQL event store on this machine, in a database created for the run
 * and dropped after it (`CMK_TEST_POSTGRES_URL`, default the local server). Not a test.
 *
 *   npm run bench:eventstore            (both stores, default sizes)
 *   npm run -s build && node dist/libs/eventstore/bench/postgres-bench.js [appends] [events]
 *
 * The workloads (shared with `sqlite-bench.ts`) are in `store-workloads.ts`.
 */
import { PostgresTestDatabase } from '@cmk/testing';
import { openPostgresEventStore } from '../src/postgres';
import { runStoreWorkloads } from './store-workloads';

async function main(): Promise<void> {
  const database = await PostgresTestDatabase.create('bench');
  const store = await openPostgresEventStore({ url: database.url });
  try {
    await runStoreWorkloads('postgres', store, { appends: Number(process.argv[2] ?? 2_000), batchedEvents: Number(process.argv[3] ?? 100_000) });
  } finally {
    await store.close();
    await database.drop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
