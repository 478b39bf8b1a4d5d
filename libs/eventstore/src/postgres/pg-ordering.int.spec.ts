import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { PostgresTestDatabase, waitFor } from '@cmk/testing';
import { ids, newEvent, SubscriptionRecorder, TestStreams } from '@cmk/eventstore/testing';
import { comparePositions } from '@cmk/eventstore/port';
import { openPostgresEventStore, type PostgresEventStore } from './index';

/** An hour: long enough that only LISTEN/NOTIFY (or a reconnect wake-up) can deliver in a test. */
const NO_POLLING = 3_600_000;

// What the contract cannot show: why the log has no gaps, and where wake-ups come from.
describe('PostgreSQL event store: commit order and wake-ups', () => {
  let database: PostgresTestDatabase;
  let store: PostgresEventStore;
  let writer: PostgresEventStore;
  let raw: Client;
  /** Watches pg_stat_activity from outside `raw`'s transactions (a transaction sees one frozen snapshot of it). */
  let observer: Client;

  beforeAll(async () => {
    database = await PostgresTestDatabase.create('ordering');
    store = await openPostgresEventStore({ url: database.url, pollIntervalMs: NO_POLLING });
    writer = await openPostgresEventStore({ url: database.url, applicationName: 'cmk-writer' });
    raw = new Client({ connectionString: database.url });
    observer = new Client({ connectionString: database.url });
    await raw.connect();
    await observer.connect();
  });

  afterAll(async () => {
    await raw?.end();
    await observer?.end();
    await writer?.close();
    await store?.close();
    await database?.drop();
  });

  const filterFor = (streams: TestStreams) => ({ streamNamePrefixes: [`${streams.prefix}-`] });
  const waitingOnAdvisoryLock = async (applicationName: string) =>
    (
      await observer.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
        [applicationName],
      )
    ).rows[0].n !== '0';

  it('a writer whose commit is late holds back later writers, so no subscriber skips its event', async () => {
    const streams = new TestStreams();
    const recorder = new SubscriptionRecorder(store.subscribeToAll({ fromPosition: 'end', filter: filterFor(streams) }));
    try {
      await recorder.waitForCaughtUp();
      // A transaction that has appended (and so drawn its seq) but not committed yet: the classic
      // gap. It holds the append lock until it commits.
      const late = newEvent(1);
      await raw.query('BEGIN');
      await raw.query('SELECT * FROM cmk_append($1, $2, $3, $4, $5, $6, $7)', [
        [streams.name('late')], ['any'], [1], [late.id], [late.type], [JSON.stringify(late.data)], [JSON.stringify(late.metadata)],
      ]);
      const early = newEvent(2);
      const appending = writer.appendToStream(streams.name('early'), [early]);
      await waitFor(() => waitingOnAdvisoryLock('cmk-writer'), { description: 'the second append to wait for the append lock' });
      expect(recorder.events).toEqual([]);

      await raw.query('COMMIT');
      const result = await appending;
      const delivered = await recorder.waitForEventsUnder(streams.prefix, 2);
      expect(ids(delivered)).toEqual([late.id, early.id]);
      expect(comparePositions(delivered[0].position, result.position)).toBeLessThan(0);
    } finally {
      await raw.query('ROLLBACK').catch(() => undefined);
      await recorder.stop();
    }
  });

  it('wakes live subscriptions with LISTEN/NOTIFY when another client commits (polling is off)', async () => {
    const streams = new TestStreams();
    const recorder = new SubscriptionRecorder(store.subscribeToAll({ fromPosition: 'end', filter: filterFor(streams) }));
    try {
      await recorder.waitForCaughtUp();
      for (let i = 0; i < 3; i += 1) {
        await writer.appendToStream(streams.name(`n${i}`), [newEvent(i)]);
        await recorder.waitForEventsUnder(streams.prefix, i + 1);
      }
      expect(recorder.events).toHaveLength(3);
    } finally {
      await recorder.stop();
    }
  });

  it('re-listens after its LISTEN connection is killed, and delivers what was committed meanwhile', async () => {
    const streams = new TestStreams();
    const recorder = new SubscriptionRecorder(store.subscribeToAll({ fromPosition: 'end', filter: filterFor(streams) }));
    try {
      await recorder.waitForCaughtUp();
      const before = store.listenerPid;
      expect(before).toBeDefined();
      await raw.query('SELECT pg_terminate_backend($1)', [before]);
      const meanwhile = newEvent(1);
      await writer.appendToStream(streams.name('meanwhile'), [meanwhile]);
      await recorder.waitForEventsUnder(streams.prefix, 1);
      await waitFor(() => store.listenerPid !== undefined && store.listenerPid !== before, { description: 'a new LISTEN connection' });
      const after = newEvent(2);
      await writer.appendToStream(streams.name('after'), [after]);
      expect(ids(await recorder.waitForEventsUnder(streams.prefix, 2))).toEqual([meanwhile.id, after.id]);
    } finally {
      await recorder.stop();
    }
  });

  it('without notifications, polling alone delivers', async () => {
    const polling = await openPostgresEventStore({ url: database.url, notifications: false, pollIntervalMs: 20 });
    const streams = new TestStreams();
    const recorder = new SubscriptionRecorder(polling.subscribeToAll({ fromPosition: 'end', filter: filterFor(streams) }));
    try {
      await recorder.waitForCaughtUp();
      const event = { ...newEvent(), id: randomUUID() };
      await writer.appendToStream(streams.name('polled'), [event]);
      expect(ids(await recorder.waitForEventsUnder(streams.prefix, 1))).toEqual([event.id]);
    } finally {
      await recorder.stop();
      await polling.close();
    }
  });
});
