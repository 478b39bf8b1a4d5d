/**
 * Throughput of the PostgreSQL event store on this machine, in a database created for the run
 * and dropped after it (`CMK_TEST_POSTGRES_URL`, default the local server). Not a test.
 *
 *   npm run bench:eventstore            (both stores, default sizes)
 *   npm run -s build && node dist/libs/eventstore/bench/postgres-bench.js [appends] [events] [rewrap keys]
 *
 * The workloads (shared with `sqlite-bench.ts`) are in `store-workloads.ts`.
 */
import { Client } from 'pg';
import { PostgresTestDatabase } from '@cmk/testing';
import { openPostgresEventStore } from '../src/postgres';
import { runStoreWorkloads } from './store-workloads';

async function main(): Promise<void> {
  const database = await PostgresTestDatabase.create('bench');
  const store = await openPostgresEventStore({ url: database.url });
  // The server processes serving this database (their CPU counts in the rewrap workload's figures).
  const meter = new Client({ connectionString: database.url, application_name: 'cmk-bench-meter' });
  await meter.connect();
  const serverPids = async () =>
    (await meter.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows.map((row) => row.pid);
  try {
    await runStoreWorkloads('postgres', store, { appends: Number(process.argv[2] ?? 2_000), batchedEvents: Number(process.argv[3] ?? 100_000), rewrapKeys: Number(process.argv[4] ?? 20_000) }, serverPids);
  } finally {
    await meter.end();
    await store.close();
    await database.drop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
