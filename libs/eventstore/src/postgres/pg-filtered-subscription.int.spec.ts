import { PostgresTestDatabase } from '@cmk/testing';
import { newEvents, SubscriptionRecorder } from '@cmk/eventstore/testing';
import { openPostgresEventStore } from './index';

// The server filters a subscription's rows (the contract shows what is delivered; this shows the
// bounded scans: checkpoints past filtered rows, pages fuller than one scan, several prefixes).
describe('PostgreSQL event store: filtered subscriptions', () => {
  let database: PostgresTestDatabase;
  beforeEach(async () => {
    database = await PostgresTestDatabase.create('filtered');
  });
  afterEach(() => database.drop());

  it('reports caught-up at the head, with a checkpoint after each bounded scan of filtered rows', async () => {
    const store = await openPostgresEventStore({ url: database.url, pageSize: 7, filterScanRows: 10 });
    try {
      let last = await store.appendToStream('noise-1', newEvents(15));
      last = await store.appendToStream('noise-2', newEvents(15));
      const recorder = new SubscriptionRecorder(store.subscribeToAll({ fromPosition: 'start', filter: { streamNamePrefixes: ['wanted-'] } }));
      await recorder.waitForCaughtUp();
      expect(recorder.items.find((item) => item.kind === 'caught-up')?.position).toEqual(last.position);
      expect(recorder.events).toEqual([]);
      const commits = recorder.checkpoints.map((position) => position.commit);
      expect(commits.length).toBeGreaterThanOrEqual(3);
      commits.forEach((commit, i) => {
        const step = commit - (i === 0 ? 0n : commits[i - 1]);
        expect(step).toBeGreaterThan(0n);
        expect(step).toBeLessThanOrEqual(10n);
      });
      expect(commits[commits.length - 1]).toBe(last.position.commit);
      await recorder.stop();
    } finally {
      await store.close();
    }
  });

  it('delivers every wanted event once, in order, when pages fill before a scan ends', async () => {
    const store = await openPostgresEventStore({ url: database.url, pageSize: 3, filterScanRows: 8 });
    try {
      const wanted: string[] = [];
      for (let i = 0; i < 12; i++) {
        const events = newEvents(1);
        await store.appendToStream(i % 4 === 3 ? `noise-${i}` : `wanted-${i}`, events);
        if (i % 4 !== 3) wanted.push(events[0].id);
      }
      // A stream whose name holds the prefix further in is not wanted.
      await store.appendToStream('x-wanted-1', newEvents(1));
      const recorder = new SubscriptionRecorder(store.subscribeToAll({ fromPosition: 'start', filter: { streamNamePrefixes: ['wanted-', 'other-'] } }));
      await recorder.waitForCaughtUp();
      expect(recorder.events.map((event) => event.id)).toEqual(wanted);
      const extra = newEvents(1);
      await store.appendToStream('other-1', extra);
      expect((await recorder.waitForEventsUnder('other', 1)).map((event) => event.id)).toEqual(extra.map((event) => event.id));
      await recorder.stop();
    } finally {
      await store.close();
    }
  });
});
