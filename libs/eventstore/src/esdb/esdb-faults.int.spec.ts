import { UnavailableError } from '@eventstore/db-client';
import { startEsdbEmulator, type EsdbEmulator } from '@cmk/esdb-emulator';
import { waitFor } from '@cmk/testing';
import { ids, newEvent, newEvents, rejectionOf, SubscriptionRecorder, TestStreams } from '@cmk/eventstore/testing';
import { ConcurrencyError, comparePositions } from '@cmk/eventstore/port';
import { openEsdbEventStore, type EsdbEventStore } from './index';

// What the contract cannot show: how the adapter behaves when the server misbehaves.
describe('EsdbEventStore under faults (esdb-emulator)', () => {
  let emulator: EsdbEmulator;
  let store: EsdbEventStore;
  const retries: unknown[] = [];

  beforeAll(async () => {
    emulator = await startEsdbEmulator();
    store = await openEsdbEventStore({
      url: emulator.url,
      subscriptions: { initialRetryDelayMs: 20, maxRetryDelayMs: 200, highWaterMark: 8, onRetry: (error) => retries.push(error) },
    });
  });

  afterAll(async () => {
    await store.close();
    await emulator.close();
  });

  afterEach(() => {
    emulator.resetFaults();
    retries.length = 0;
  });

  const filterFor = (streams: TestStreams) => ({ streamNamePrefixes: [`${streams.prefix}-`] });

  it('resubscribes after the server drops subscriptions, with no loss and no duplicates', async () => {
    const streams = new TestStreams();
    const recorder = new SubscriptionRecorder(store.subscribeToAll({ fromPosition: 'start', filter: filterFor(streams) }));
    try {
      const written = newEvents(3);
      await store.appendToStream(streams.name('a'), written);
      await recorder.waitForEventsUnder(streams.prefix, 3);
      await recorder.waitForCaughtUp();

      for (let round = 0; round < 3; round += 1) {
        await waitFor(() => emulator.subscriptionCount >= 1, { description: 'a live subscription' });
        expect(emulator.dropSubscriptions()).toBeGreaterThanOrEqual(1);
        // Written while the subscription is down: must arrive after the resubscribe.
        const batch = newEvents(2, 10 * round);
        await store.appendToStream(streams.name(`r${round}`), batch);
        written.push(...batch);
        await recorder.waitForEventsUnder(streams.prefix, written.length);
      }

      expect(ids(recorder.events)).toEqual(ids(written));
      expect(recorder.caughtUpCount).toBe(1);
      expect(retries.length).toBeGreaterThanOrEqual(3);
      expect(retries.every((error) => error instanceof UnavailableError)).toBe(true);
    } finally {
      await recorder.stop();
    }
  });

  it('keeps retrying with backoff while resubscribing fails, then resumes where it was', async () => {
    const streams = new TestStreams();
    const recorder = new SubscriptionRecorder(store.subscribeToAll({ fromPosition: 'end', filter: filterFor(streams) }));
    try {
      await recorder.waitForCaughtUp();
      const first = newEvent(1);
      await store.appendToStream(streams.name('x'), [first]);
      await recorder.waitForEventsUnder(streams.prefix, 1);

      emulator.dropSubscriptions();
      emulator.failNextCalls(3);
      const second = newEvent(2);
      // One retry for the drop, then one per injected failure.
      await waitFor(() => retries.length >= 4, { description: 'failed resubscribe attempts' });
      await store.appendToStream(streams.name('x'), [second]);
      await recorder.waitForEventsUnder(streams.prefix, 2);
      expect(ids(recorder.events)).toEqual([first.id, second.id]);
    } finally {
      await recorder.stop();
    }
  });

  it('an unfiltered subscription resumes from its last position and never shows system events', async () => {
    const streams = new TestStreams();
    const before = await store.appendToStream(streams.name('u'), [newEvent(0)]);
    const recorder = new SubscriptionRecorder(store.subscribeToAll({ fromPosition: before.position }));
    try {
      await recorder.waitForCaughtUp();
      emulator.dropSubscriptions();
      const after = newEvent(1);
      await store.appendToStream(streams.name('u'), [after]);
      await recorder.waitForEventsUnder(streams.prefix, 1);
      expect(ids(recorder.eventsUnder(streams.prefix))).toEqual([after.id]);
      expect(recorder.events.some((event) => event.streamId.startsWith('$'))).toBe(false);
    } finally {
      await recorder.stop();
    }
  });

  it('a slow consumer gets every event in order, checkpoints never ahead of undelivered events', async () => {
    const streams = new TestStreams();
    const subscription = store.subscribeToAll({ fromPosition: 'end', filter: filterFor(streams) });
    const iterator = subscription[Symbol.asyncIterator]();
    try {
      for (let item = await iterator.next(); !item.done && item.value.kind !== 'caught-up'; item = await iterator.next());
      const written = newEvents(60);
      for (let i = 0; i < written.length; i += 20) await store.appendToStream(streams.name(`s${i}`), written.slice(i, i + 20));

      const seen: string[] = [];
      let lastEvent = { commit: -1n, prepare: -1n };
      while (seen.length < written.length) {
        const item = await iterator.next();
        if (item.done) throw new Error('subscription ended early');
        if (item.value.kind === 'event') {
          seen.push(item.value.event.id);
          lastEvent = item.value.event.position;
        } else if (item.value.kind === 'checkpoint' && seen.length < written.length) {
          expect(comparePositions(item.value.position, lastEvent)).toBeGreaterThanOrEqual(0);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(seen).toEqual(ids(written));
    } finally {
      await subscription.unsubscribe();
    }
  });

  it('UNAVAILABLE on append or read surfaces as the client error, never as a ConcurrencyError', async () => {
    const stream = new TestStreams().name('outage');
    emulator.failNextCalls(1);
    const appendError = await rejectionOf(store.appendToStream(stream, [newEvent()], { expectedRevision: 'no_stream' }));
    expect(appendError).toBeInstanceOf(UnavailableError);
    expect(appendError).not.toBeInstanceOf(ConcurrencyError);

    emulator.failNextCalls(1);
    const readError = await rejectionOf(store.readStream(stream));
    expect(readError).toBeInstanceOf(UnavailableError);

    // The outage wrote nothing: the same append now succeeds as the stream's first event.
    const result = await store.appendToStream(stream, [newEvent()], { expectedRevision: 'no_stream' });
    expect(result.nextExpectedRevision).toBe(0n);
  });

  it('readAll and headPosition skip the server system events', async () => {
    const all = await store.readAll({ fromPosition: 'start', maxCount: 5 });
    expect(all.length).toBeGreaterThan(0);
    expect(all.some((event) => event.streamId.startsWith('$'))).toBe(false);
    const result = await store.appendToStream(new TestStreams().name('head'), [newEvent()]);
    expect(comparePositions(await store.headPosition(), result.position)).toBe(0);
  });
});

// Servers before 23.10 never send `caught_up`; the adapter derives it from the head of `$all`.
describe('EsdbEventStore against a server without caught-up messages (esdb-emulator)', () => {
  let emulator: EsdbEmulator;
  let store: EsdbEventStore;

  beforeAll(async () => {
    emulator = await startEsdbEmulator({ caughtUpMessages: false });
    store = await openEsdbEventStore({ url: emulator.url });
  });

  afterAll(async () => {
    await store.close();
    await emulator.close();
  });

  it.each(['start', 'end'] as const)("still yields caught-up once, from '%s', before live events", async (fromPosition) => {
    const streams = new TestStreams();
    const past = newEvent(0);
    await store.appendToStream(streams.name('p'), [past]);
    await store.appendToStream(new TestStreams().name('noise'), newEvents(3));
    const recorder = new SubscriptionRecorder(store.subscribeToAll({ fromPosition, filter: { streamNamePrefixes: [`${streams.prefix}-`] } }));
    try {
      await recorder.waitForCaughtUp();
      const live = newEvent(1);
      await store.appendToStream(streams.name('p'), [live]);
      const expected = fromPosition === 'start' ? [past.id, live.id] : [live.id];
      await recorder.waitForEventsUnder(streams.prefix, expected.length);
      expect(ids(recorder.events)).toEqual(expected);
      expect(recorder.caughtUpCount).toBe(1);
      const caughtUpAt = recorder.items.findIndex((item) => item.kind === 'caught-up');
      expect(caughtUpAt).toBeLessThan(recorder.items.findIndex((item) => item.kind === 'event' && item.event.id === live.id));
    } finally {
      await recorder.stop();
    }
  });
});
