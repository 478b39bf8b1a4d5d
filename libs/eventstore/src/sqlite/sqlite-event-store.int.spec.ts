import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { waitFor } from '@cmk/testing';
import { boundedScanCases, eventStoreContract, newEvent, newEvents, rejectionOf, SubscriptionRecorder, TestStreams, spawnWriter } from '@cmk/eventstore/testing';
import { ConcurrencyError, DuplicateEventIdError, comparePositions, START_POSITION, type RecordedEvent } from '@cmk/eventstore/port';
import { openSqliteEventStore, SCHEMA_VERSION } from './index';

function tempFile(): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'cmk-sqlite-es-'));
  return { path: join(dir, 'nested', 'events.sqlite'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

eventStoreContract('SQLite', async () => {
  const file = tempFile();
  const store = await openSqliteEventStore({ path: file.path });
  return {
    store,
    other: () => openSqliteEventStore({ path: file.path }),
    cleanup: async () => {
      await store.close();
      file.remove();
    },
  };
});

describe('SqliteEventStore (SQLite only)', () => {
  const files: { remove(): void }[] = [];
  const own = () => {
    const file = tempFile();
    files.push(file);
    return file.path;
  };
  afterAll(() => files.forEach((file) => file.remove()));

  it('creates the directory and a versioned WAL schema, and starts empty', async () => {
    const path = own();
    const store = await openSqliteEventStore({ path });
    expect(await store.headPosition()).toEqual(START_POSITION);
    expect(await store.readAll()).toEqual([]);
    await store.close();

    const raw = new BetterSqlite3(path, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
    const reopened = await openSqliteEventStore({ path });
    expect(await reopened.headPosition()).toEqual(START_POSITION);
    await reopened.close();
  });

  it('refuses a file from a newer schema', async () => {
    const path = own();
    (await openSqliteEventStore({ path })).close();
    const raw = new BetterSqlite3(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    await expect(openSqliteEventStore({ path })).rejects.toThrow(/newer than this build/);
  });

  it('uses the global sequence for both halves of a position', async () => {
    const store = await openSqliteEventStore({ path: own() });
    const first = await store.appendToStream('org-a', [newEvent()]);
    const second = await store.appendToStream('org-b', newEvents(2));
    expect(first.position).toEqual({ commit: 1n, prepare: 1n });
    expect(second.position).toEqual({ commit: 3n, prepare: 3n });
    expect(await store.headPosition()).toEqual(second.position);
    await store.close();
  });

  it('rejects reused ids that are not a retry with DuplicateEventIdError, writing nothing', async () => {
    const store = await openSqliteEventStore({ path: own() });
    const [a, b] = newEvents(2);
    await store.appendToStream('s', [a, b], { expectedRevision: 'no_stream' });
    const reordered = await rejectionOf(store.appendToStream('s', [b, a], { expectedRevision: 'any' }));
    expect(reordered).toBeInstanceOf(DuplicateEventIdError);
    const retyped = await rejectionOf(store.appendToStream('s', [{ ...a, type: 'Other' }], { expectedRevision: 'any' }));
    expect(retyped).toBeInstanceOf(DuplicateEventIdError);
    const twiceInBatch = await rejectionOf(store.appendToStream('t', [a, a]));
    expect(twiceInBatch).toBeInstanceOf(DuplicateEventIdError);
    // A wrong expected revision stays a conflict even when the ids are reused.
    const stale = await rejectionOf(store.appendToStream('s', [b, a], { expectedRevision: 'no_stream' }));
    expect(stale).toBeInstanceOf(ConcurrencyError);
    expect(await store.readAll()).toHaveLength(2);
    await store.close();
  });

  it('group-commits concurrent appends, rolling back only the ones that conflict', async () => {
    const store = await openSqliteEventStore({ path: own() });
    await store.appendToStream('taken', newEvents(1), { expectedRevision: 'no_stream' });
    const [dup] = newEvents(1);
    await store.appendToStream('dup', [dup]);
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 30 }, (_, i) => store.appendToStream(`ok-${i}`, newEvents(2), { expectedRevision: 'no_stream' })),
      store.appendToStream('taken', newEvents(1), { expectedRevision: 'no_stream' }),
      store.appendToStream('dup', [{ ...dup, type: 'Other' }], { expectedRevision: 'any' }),
      store.appendToStream('ok-0', newEvents(1), { expectedRevision: 'no_stream' }),
    ]);
    expect(outcomes.slice(0, 30).every((o) => o.status === 'fulfilled')).toBe(true);
    const rejected = outcomes.slice(30).map((o) => (o.status === 'rejected' ? (o.reason as Error).name : 'fulfilled'));
    expect(rejected).toEqual(['ConcurrencyError', 'DuplicateEventIdError', 'ConcurrencyError']);
    const all = await store.readAll();
    expect(all).toHaveLength(2 + 60);
    const positions = outcomes.slice(0, 30).map((o) => (o.status === 'fulfilled' ? o.value.position.commit : -1n));
    expect(new Set(positions).size).toBe(30);
    await store.close();
  });

  it('a write lock held past busyTimeoutMs fails as SQLITE_BUSY, never as a conflict', async () => {
    const path = own();
    const store = await openSqliteEventStore({ path, busyTimeoutMs: 50 });
    const locker = new BetterSqlite3(path);
    locker.exec('BEGIN IMMEDIATE');
    try {
      const error = await rejectionOf(store.appendToStream('busy', [newEvent()], { expectedRevision: 'no_stream' }));
      expect(error).not.toBeInstanceOf(ConcurrencyError);
      expect(error).toMatchObject({ code: 'SQLITE_BUSY' });
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    expect((await store.appendToStream('busy', [newEvent()], { expectedRevision: 'no_stream' })).nextExpectedRevision).toBe(0n);
    await store.close();
  });

  boundedScanCases((paging) => openSqliteEventStore({ path: own(), ...paging }));

  it('reads the next page only when the consumer pulls (back-pressure)', async () => {
    const store = await openSqliteEventStore({ path: own(), pageSize: 2 });
    await store.appendToStream('bp', newEvents(3));
    const subscription = store.subscribeToAll({ fromPosition: 'start' });
    const iterator = subscription[Symbol.asyncIterator]();
    const first = await iterator.next();
    // Appended after the first page was read: only a later pull may see it.
    const late = newEvent(9);
    await store.appendToStream('bp', [late]);
    const rest: string[] = [];
    for (let item = await iterator.next(); !item.done && item.value.kind === 'event'; item = await iterator.next()) {
      rest.push(item.value.event.id);
    }
    expect(first.value).toMatchObject({ kind: 'event' });
    expect(rest).toHaveLength(3);
    expect(rest[2]).toBe(late.id);
    await subscription.unsubscribe();
    await store.close();
  });

  it('close() ends the store’s live subscriptions', async () => {
    const store = await openSqliteEventStore({ path: own() });
    const recorder = new SubscriptionRecorder(store.subscribeToAll({ fromPosition: 'end' }));
    await recorder.waitForCaughtUp();
    await store.close();
    await waitFor(() => recorder.ended, { description: 'subscription to end' });
  });

  it('two OS processes append to one file at once; this process sees all their events live', async () => {
    const path = own();
    const store = await openSqliteEventStore({ path, pollIntervalMs: 10 });
    const streams = new TestStreams();
    const counter = streams.name('counter');
    const recorder = new SubscriptionRecorder(
      store.subscribeToAll({ fromPosition: 'end', filter: { streamNamePrefixes: [`${streams.prefix}-`] } }),
    );
    try {
      await recorder.waitForCaughtUp();
      const perWriter = 150;
      const increments = 30;
      const go = `${path}.go`;
      const writers = [0, 1].map(() =>
        spawnWriter(['burst', path, streams.prefix, String(perWriter), counter, String(increments), go]),
      );
      // Both processes open the file, then start together so their appends really interleave.
      await waitFor(() => writers.every((w) => w.reports.some((r) => r['ready'] !== undefined)), {
        timeoutMs: 30_000,
        description: 'both writers to open the store',
      });
      writeFileSync(go, '');
      const codes = await Promise.all(writers.map((w) => w.exited));
      expect({ codes, stderr: writers.map((w) => w.stderr()) }).toEqual({ codes: [0, 0], stderr: ['', ''] });

      const total = 2 * perWriter + 2 * increments;
      const delivered = await recorder.waitForEventsUnder(streams.prefix, total, 30_000);
      expect(new Set(delivered.map((e) => e.id)).size).toBe(total);
      for (let i = 1; i < delivered.length; i += 1) {
        expect(comparePositions(delivered[i - 1].position, delivered[i].position)).toBeLessThan(0);
      }
      // Read-decide-append from two processes: every increment landed once, revisions dense.
      const counted = await store.readStream(counter);
      expect(counted.map((e) => e.revision)).toEqual(Array.from({ length: 2 * increments }, (_, i) => BigInt(i)));
      const writerOf = (e: RecordedEvent) => (e.type === 'Incremented' ? String(e.data['by']) : e.streamId.split('-')[2]);
      const switches = delivered.filter((e, i) => i > 0 && writerOf(e) !== writerOf(delivered[i - 1])).length;
      expect(switches).toBeGreaterThan(1);
      const conflicts = writers.map((w) => Number(w.reports.find((r) => r['done'] === 'burst')?.['conflicts'] ?? -1));
      console.log(`two writers: ${switches} switches between them in $all, ${conflicts.join(' + ')} conflicts retried`);
    } finally {
      await recorder.stop();
      await store.close();
    }
  }, 90_000);

  it('an append that resolved survives SIGKILL of the writer right after', async () => {
    const path = own();
    const stream = `datakey-${randomUUID()}`;
    const eventId = randomUUID();
    const writer = spawnWriter(['append-then-hang', path, stream, eventId]);
    const report = await waitFor(() => writer.reports.find((r) => 'appended' in r), {
      timeoutMs: 30_000,
      description: `the writer to append (stderr: ${writer.stderr()})`,
    });
    writer.child.kill('SIGKILL');
    expect(await writer.exited).toBe('SIGKILL');

    const store = await openSqliteEventStore({ path });
    const [event] = await store.readStream(stream);
    expect(event?.id).toBe(eventId);
    expect(String(event.position.commit)).toBe(report['appended']);
    await store.close();
  }, 60_000);
});
