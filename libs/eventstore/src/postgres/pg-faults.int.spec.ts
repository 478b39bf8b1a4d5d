import { Client } from 'pg';
import { PostgresTestDatabase, TcpProxy, waitFor } from '@cmk/testing';
import { ids, newEvent, rejectionOf, SubscriptionRecorder, TestStreams, expectConcurrencyError } from '@cmk/eventstore/testing';
import { EventStoreUnavailableError } from '@cmk/eventstore/port';
import { LOCK_CLASS, APPEND_LOCK } from './pg-append-function';
import { openPostgresEventStore, PG_SCHEMA_VERSION, SchemaTooNewError } from './index';

// What the contract cannot show: start-up races, writers that bypass the lock, and outages.
describe('PostgreSQL event store under faults', () => {
  let database: PostgresTestDatabase;
  let raw: Client;
  /** Watches pg_stat_activity from outside `raw`'s transactions (a transaction sees one frozen snapshot of it). */
  let observer: Client;

  beforeAll(async () => {
    database = await PostgresTestDatabase.create('faults');
    raw = new Client({ connectionString: database.url });
    observer = new Client({ connectionString: database.url });
    await raw.connect();
    await observer.connect();
  });

  afterAll(async () => {
    await raw?.end();
    await observer?.end();
    await database?.drop();
  });

  it('migrates once when several processes open a fresh database at the same time', async () => {
    const stores = await Promise.all(Array.from({ length: 6 }, () => openPostgresEventStore({ url: database.url, poolMax: 2 })));
    try {
      const { rows } = await raw.query<{ version: number }>('SELECT version FROM cmk_schema_migrations ORDER BY version');
      expect(rows.map((row) => row.version)).toEqual(Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => i + 1));
      const streams = new TestStreams();
      const results = await Promise.all(stores.map((store, i) => store.appendToStream(streams.name(`s${i}`), [newEvent(i)])));
      expect(new Set(results.map((r) => r.position.commit)).size).toBe(stores.length);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('refuses a database migrated by a newer build', async () => {
    const newer = await PostgresTestDatabase.create('newer');
    try {
      const first = await openPostgresEventStore({ url: newer.url });
      await first.pool.query(`INSERT INTO cmk_schema_migrations (version, name) VALUES (${PG_SCHEMA_VERSION + 1}, 'from the future')`);
      await first.close();
      expect(await rejectionOf(openPostgresEventStore({ url: newer.url }))).toBeInstanceOf(SchemaTooNewError);
    } finally {
      await newer.drop();
    }
  });

  it('turns a unique violation on (stream, revision) from a writer that bypassed the lock into a ConcurrencyError', async () => {
    const store = await openPostgresEventStore({ url: database.url, applicationName: 'cmk-violated' });
    const stream = new TestStreams().name('bypassed');
    try {
      await raw.query('BEGIN');
      await raw.query(`INSERT INTO cmk_events (stream_id, revision, event_id, type, data, metadata) VALUES ($1, 0, $2, 'Sneaky', '{}', '{}')`, [stream, newEvent().id]);
      const appending = rejectionOf(store.appendToStream(stream, [newEvent()], { expectedRevision: 'no_stream' }));
      // It passed its checks (the row is not committed) and now waits on the unique index.
      await waitFor(
        async () => (await observer.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'cmk-violated' AND wait_event_type = 'Lock' AND wait_event = 'transactionid'`)).rowCount === 1,
        { description: 'the append to wait on the uncommitted row' },
      );
      await raw.query('COMMIT');
      expectConcurrencyError(await appending, stream, 'no_stream', '0');
      expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['Sneaky']);
    } finally {
      await raw.query('ROLLBACK').catch(() => undefined);
      await store.close();
    }
  });

  it('retries an append whose connection is killed while it waits, and writes it exactly once', async () => {
    const retried: unknown[] = [];
    const store = await openPostgresEventStore({ url: database.url, applicationName: 'cmk-killed', retry: { onRetry: (error) => retried.push(error) } });
    const stream = new TestStreams().name('killed');
    try {
      await raw.query('BEGIN');
      await raw.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, APPEND_LOCK]);
      const event = newEvent();
      const appending = store.appendToStream(stream, [event], { expectedRevision: 'no_stream' });
      const waiting = async () =>
        (await observer.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'cmk-killed' AND wait_event = 'advisory'`)).rows[0]?.pid;
      const pid = await waitFor(waiting, { description: 'the append to wait for the lock' });
      await raw.query('SELECT pg_terminate_backend($1)', [pid]);
      await waitFor(async () => ((await waiting()) ?? pid) !== pid, { description: 'the retried append on a new connection' });
      await raw.query('COMMIT');
      expect((await appending).nextExpectedRevision).toBe(0n);
      expect(ids(await store.readStream(stream))).toEqual([event.id]);
      expect(retried.length).toBeGreaterThanOrEqual(1);
    } finally {
      await raw.query('ROLLBACK').catch(() => undefined);
      await store.close();
    }
  });

  describe('a server outage (through a proxy the test cuts)', () => {
    let proxy: TcpProxy;
    beforeAll(async () => {
      const target = new URL(database.url);
      proxy = await TcpProxy.open({ host: target.hostname, port: Number(target.port || 5432) });
    });
    afterAll(() => proxy.stop());

    const viaProxy = () => {
      const url = new URL(database.url);
      url.host = `127.0.0.1:${proxy.port}`;
      return url.toString();
    };

    it('surfaces as EventStoreUnavailableError, never as a conflict, and the store recovers', async () => {
      const store = await openPostgresEventStore({ url: viaProxy(), connectionTimeoutMs: 500, retry: { attempts: 3, initialDelayMs: 20 } });
      const stream = new TestStreams().name('outage');
      try {
        await store.appendToStream(stream, [newEvent(0)], { expectedRevision: 'no_stream' });
        await proxy.stop();
        const refused = await rejectionOf(store.appendToStream(stream, [newEvent(1)], { expectedRevision: 0n }));
        expect(refused).toBeInstanceOf(EventStoreUnavailableError);
        expect((refused as Error).message).toMatch(/PostgreSQL event store unavailable: appending to .* failed 3 times/);
        expect(await rejectionOf(store.readStream(stream))).toBeInstanceOf(EventStoreUnavailableError);

        await proxy.start();
        const next = await store.appendToStream(stream, [newEvent(1)], { expectedRevision: 0n });
        expect(next.nextExpectedRevision).toBe(1n);
      } finally {
        await proxy.start().catch(() => undefined);
        await store.close();
      }
    });

    it('a live subscription rides out a short outage with no loss and no duplicates', async () => {
      const reader = await openPostgresEventStore({ url: viaProxy(), connectionTimeoutMs: 500, retry: { attempts: 100, initialDelayMs: 20, maxDelayMs: 100 } });
      const writer = await openPostgresEventStore({ url: database.url });
      const streams = new TestStreams();
      const recorder = new SubscriptionRecorder(reader.subscribeToAll({ fromPosition: 'end', filter: { streamNamePrefixes: [`${streams.prefix}-`] } }));
      try {
        await recorder.waitForCaughtUp();
        const first = newEvent(1);
        await writer.appendToStream(streams.name('a'), [first]);
        await recorder.waitForEventsUnder(streams.prefix, 1);
        await proxy.stop();
        const during = newEvent(2);
        await writer.appendToStream(streams.name('b'), [during]);
        await proxy.start();
        const after = newEvent(3);
        await writer.appendToStream(streams.name('c'), [after]);
        await recorder.waitForEventsUnder(streams.prefix, 3);
        await recorder.waitUntil(() => recorder.events.length === 3, 'no duplicates');
        expect(ids(recorder.events)).toEqual([first.id, during.id, after.id]);
      } finally {
        await proxy.start().catch(() => undefined);
        await recorder.stop();
        await writer.close();
        await reader.close();
      }
    });
  });
});
