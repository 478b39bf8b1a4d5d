import type { EventStore } from '@cmk/eventstore/port';
import { newEvents } from './fixtures';
import { SubscriptionRecorder } from './subscription-recorder';

/** Opens a new, empty store with the given paging (the stores that filter in their query have both). */
export type OpenPagedStore = (paging: { readonly pageSize: number; readonly filterScanRows: number }) => Promise<EventStore>;

/**
 * Filtered subscriptions of the stores that filter in their query with bounded scans (SQLite,
 * PostgreSQL): checkpoints after each bounded scan of filtered rows, pages that fill before a
 * scan ends, several prefixes. Registers its tests in the calling `describe`.
 */
export function boundedScanCases(open: OpenPagedStore): void {
  it('a filtered subscription reports caught-up at the head, with a checkpoint after each bounded scan of filtered rows', async () => {
    const store = await open({ pageSize: 7, filterScanRows: 10 });
    try {
      await store.appendToStream('noise-1', newEvents(15));
      const last = await store.appendToStream('noise-2', newEvents(15));
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

  it('a filtered subscription delivers every wanted event once, in order, when pages fill before a scan ends', async () => {
    const store = await open({ pageSize: 3, filterScanRows: 8 });
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
}
