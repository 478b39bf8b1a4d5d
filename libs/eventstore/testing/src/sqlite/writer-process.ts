/**
 * A second OS process for the SQLite multi-process tests, run by `spawnWriter` through ts-node
 * (transpile only), so it exercises the adapter's source exactly as the tests see it, with or
 * without a fresh `dist/` (`spawnWriter` registers the path aliases).
 *
 *   writer-process.ts burst <file> <prefix> <events> <counterStream> <increments> <goFile>
 *   writer-process.ts append-then-hang <file> <stream> <eventId>
 *
 * Reports progress as JSON lines on stdout.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { ConcurrencyError, openSqliteEventStore, type SqliteEventStore } from '@cmk/eventstore';

function report(message: Record<string, string | number>): void {
  process.stdout.write(`${JSON.stringify({ pid: process.pid, ...message })}\n`);
}

/** Appends `events` single-event streams, and `increments` read-decide-append steps on one shared stream. */
async function burst(store: SqliteEventStore, prefix: string, events: number, counter: string, increments: number): Promise<void> {
  let conflicts = 0;
  for (let i = 0; i < Math.max(events, increments); i += 1) {
    if (i < events) {
      await store.appendToStream(`${prefix}-p${process.pid}-${i}`, [{ id: randomUUID(), type: 'Burst', data: { i } }], {
        expectedRevision: 'no_stream',
      });
    }
    if (i >= increments) continue;
    for (;;) {
      const [last] = await store.readStream(counter, { direction: 'backwards', maxCount: 1 });
      // Stands for a decide step: gives the other process a window to append in between.
      await new Promise((resolve) => setImmediate(resolve));
      try {
        await store.appendToStream(counter, [{ id: randomUUID(), type: 'Incremented', data: { by: process.pid } }], {
          expectedRevision: last ? last.revision : 'no_stream',
        });
        break;
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        conflicts += 1;
      }
    }
  }
  report({ done: 'burst', conflicts });
}

/** Waits for the parent to create `goFile`, so that both writers start at the same moment. */
async function startSignal(goFile: string): Promise<void> {
  while (!existsSync(goFile)) await new Promise((resolve) => setTimeout(resolve, 2));
}

async function main(): Promise<void> {
  const [mode, file, ...args] = process.argv.slice(2);
  const store = await openSqliteEventStore({ path: file });
  if (mode === 'burst') {
    report({ ready: 'burst' });
    await startSignal(args[4]);
    await burst(store, args[0], Number(args[1]), args[2], Number(args[3]));
    await store.close();
    return;
  }
  if (mode === 'append-then-hang') {
    const result = await store.appendToStream(args[0], [{ id: args[1], type: 'Durable', data: { pid: process.pid } }]);
    report({ appended: String(result.position.commit) });
    // Stay alive without closing the store: the parent SIGKILLs us, as a crash would.
    setInterval(() => undefined, 60_000);
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
