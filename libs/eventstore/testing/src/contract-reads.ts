import type { ContractContext } from './contract-context';
import { ids, latestEventsBackTo, newEvent, newEvents, ownEventsInAll, TestStreams } from './fixtures';
import { comparePositions, formatPosition, parsePosition, readStreams, type EventData, type RecordedEvent } from '@cmk/eventstore';

function expectStrictlyIncreasing(events: readonly RecordedEvent[]): void {
  for (let i = 1; i < events.length; i += 1) {
    expect(comparePositions(events[i - 1].position, events[i].position)).toBeLessThan(0);
  }
}

export function describeReads(context: ContractContext): void {
  describe('readStream', () => {
    const streams = new TestStreams();
    const stream = streams.name('ring');
    let batch: EventData[] = [];
    const revisions = (events: readonly RecordedEvent[]) => events.map((e) => e.revision);

    beforeAll(async () => {
      batch = newEvents(5);
      await context.store.appendToStream(stream, batch, { expectedRevision: 'no_stream' });
    });

    it('reads forwards from the start by default', async () => {
      const events = await context.store.readStream(stream);
      expect(ids(events)).toEqual(ids(batch));
      expect(revisions(events)).toEqual([0n, 1n, 2n, 3n, 4n]);
      expectStrictlyIncreasing(events);
    });

    it('reads forwards from an inclusive revision with maxCount', async () => {
      expect(revisions(await context.store.readStream(stream, { fromRevision: 2n, maxCount: 2 }))).toEqual([2n, 3n]);
      expect(revisions(await context.store.readStream(stream, { fromRevision: 'start', maxCount: 1 }))).toEqual([0n]);
      expect(await context.store.readStream(stream, { fromRevision: 5n })).toEqual([]);
    });

    it('reads backwards from the end by default, and from an inclusive revision', async () => {
      const backwards = await context.store.readStream(stream, { direction: 'backwards' });
      expect(ids(backwards)).toEqual(ids(batch).reverse());
      const partial = await context.store.readStream(stream, { direction: 'backwards', fromRevision: 3n, maxCount: 2 });
      expect(revisions(partial)).toEqual([3n, 2n]);
      const last = await context.store.readStream(stream, { direction: 'backwards', fromRevision: 'end', maxCount: 1 });
      expect(revisions(last)).toEqual([4n]);
    });

    it('reads a missing stream as no events, in both directions', async () => {
      const missing = streams.name('never-written');
      expect(await context.store.readStream(missing)).toEqual([]);
      expect(await context.store.readStream(missing, { direction: 'backwards' })).toEqual([]);
    });
  });

  describe('readStreams (batched, or readStream per stream where a store has no batched read)', () => {
    const streams = new TestStreams();
    const [a, b, missing] = [streams.name('a'), streams.name('b'), streams.name('missing')];

    beforeAll(async () => {
      await context.store.appendToStream(a, newEvents(3), { expectedRevision: 'no_stream' });
      await context.store.appendToStream(b, newEvents(1, 10), { expectedRevision: 'no_stream' });
      await context.store.appendToStream(a, newEvents(2, 20), { expectedRevision: 2n });
    });

    it('reads each stream whole and in order, in the order asked, missing streams as none', async () => {
      const [readA, readB] = [await context.store.readStream(a), await context.store.readStream(b)];
      expect(readA.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n, 4n]);
      expect(await readStreams(context.store, [b, missing, a, b])).toEqual([readB, [], readA, readB]);
      expect(await readStreams(context.store, [])).toEqual([]);
    });

    it('answers a long list (more names than one query or one lane takes)', async () => {
      const names = [...Array.from({ length: 1_000 }, (_, i) => streams.name(`none-${i}`)), a];
      const read = await readStreams(context.store, names);
      expect(read).toHaveLength(1_001);
      expect(read.slice(0, 1_000).every((events) => events.length === 0)).toBe(true);
      expect(ids(read[1_000])).toEqual(ids(await context.store.readStream(a)));
    });
  });

  describe('readAll and positions', () => {
    const streams = new TestStreams();
    const appended: RecordedEvent[] = [];

    beforeAll(async () => {
      // Interleaved single-event appends to three streams: $all order is append order.
      for (let i = 0; i < 6; i += 1) {
        const stream = streams.name(`s${i % 3}`);
        const event = newEvent(i);
        const result = await context.store.appendToStream(stream, [event]);
        const [recorded] = await context.store.readStream(stream, { fromRevision: result.nextExpectedRevision });
        appended.push(recorded);
      }
    });

    it('gives strictly increasing positions in append order', () => {
      expectStrictlyIncreasing(appended);
    });

    it('reads forwards from an inclusive position in log order', async () => {
      const own = await ownEventsInAll(context.store, streams, appended[0], appended.length);
      expect(ids(own)).toEqual(ids(appended));
      expectStrictlyIncreasing(own);
      const fromThird = await ownEventsInAll(context.store, streams, appended[2], appended.length - 2);
      expect(ids(fromThird)).toEqual(ids(appended.slice(2)));
    });

    it('honours maxCount', async () => {
      const [first] = appended;
      const one = await context.store.readAll({ fromPosition: first.position, maxCount: 1 });
      expect(ids(one)).toEqual([first.id]);
      expect(await context.store.readAll({ fromPosition: first.position, maxCount: 3 })).toHaveLength(3);
      expect(await context.store.readAll({ direction: 'backwards', maxCount: 2 })).toHaveLength(2);
    });

    it('reads backwards from the end in reverse log order', async () => {
      const backwards = await latestEventsBackTo(context.store, appended[0]);
      for (let i = 1; i < backwards.length; i += 1) {
        expect(comparePositions(backwards[i - 1].position, backwards[i].position)).toBeGreaterThan(0);
      }
      const own = backwards.filter((e) => e.streamId.startsWith(`${streams.prefix}-`));
      expect(ids(own)).toEqual(ids(appended).reverse());
    });

    it('positions survive their text form and compare like the log', async () => {
      for (const event of appended) {
        expect(comparePositions(parsePosition(formatPosition(event.position)), event.position)).toBe(0);
      }
      const later = await context.store.appendToStream(streams.name('later'), [newEvent()]);
      expect(comparePositions(later.position, appended[appended.length - 1].position)).toBeGreaterThan(0);
    });
  });
}
