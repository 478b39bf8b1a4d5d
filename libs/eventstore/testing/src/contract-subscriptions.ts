import type { ContractContext } from './contract-context';
import { ids, newEvent, newEvents, TestStreams } from './fixtures';
import { SubscriptionRecorder } from './subscription-recorder';
import { comparePositions, formatPosition, parsePosition, type Position, type RecordedEvent } from '@cmk/eventstore';

export function describeSubscriptions(context: ContractContext): void {
  describe('subscribeToAll', () => {
    const recorders: SubscriptionRecorder[] = [];
    const record = (recorder: SubscriptionRecorder) => (recorders.push(recorder), recorder);
    afterEach(async () => {
      await Promise.all(recorders.splice(0).map((r) => r.stop()));
    });

    it("from 'start': catch-up, caught-up once, then live, in order, without duplicates", async () => {
      const streams = new TestStreams();
      const past = [...newEvents(2), newEvent(2)];
      await context.store.appendToStream(streams.name('a'), past.slice(0, 2));
      await context.store.appendToStream(streams.name('b'), past.slice(2));

      const filter = { streamNamePrefixes: [`${streams.prefix}-`] };
      const recorder = record(new SubscriptionRecorder(context.store.subscribeToAll({ fromPosition: 'start', filter })));
      await recorder.waitForEventsUnder(streams.prefix, 3, 60_000);
      await recorder.waitForCaughtUp(60_000);

      const live = newEvents(2, 3);
      await context.store.appendToStream(streams.name('a'), [live[0]]);
      await context.store.appendToStream(streams.name('c'), [live[1]]);
      await recorder.waitForEventsUnder(streams.prefix, 5);

      expect(ids(recorder.events)).toEqual([...ids(past), ...ids(live)]);
      expect(recorder.caughtUpCount).toBe(1);
      const caughtUpAt = recorder.items.findIndex((item) => item.kind === 'caught-up');
      const firstLiveAt = recorder.items.findIndex((item) => item.kind === 'event' && item.event.id === live[0].id);
      expect(caughtUpAt).toBeLessThan(firstLiveAt);
      expect(recorder.items.findIndex((item) => item.kind === 'event' && item.event.id === past[2].id)).toBeLessThan(caughtUpAt);
    });

    it('from a stored checkpoint: exactly the events after it, then live', async () => {
      const streams = new TestStreams();
      const stream = streams.name('ring');
      const recorded: RecordedEvent[] = [];
      for (const event of newEvents(5)) {
        const result = await context.store.appendToStream(stream, [event]);
        recorded.push(...(await context.store.readStream(stream, { fromRevision: result.nextExpectedRevision })));
      }
      const checkpoint = parsePosition(formatPosition(recorded[1].position));

      const filtered = record(
        new SubscriptionRecorder(
          context.store.subscribeToAll({ fromPosition: checkpoint, filter: { streamNamePrefixes: [`${streams.prefix}-`] } }),
        ),
      );
      // The unfiltered path must resume the same way; other writers' events are ignored here.
      const unfiltered = record(new SubscriptionRecorder(context.store.subscribeToAll({ fromPosition: checkpoint })));
      await filtered.waitForCaughtUp();
      await unfiltered.waitForCaughtUp();
      const live = newEvent(5);
      await context.store.appendToStream(stream, [live]);

      const expected = [...ids(recorded.slice(2)), live.id];
      for (const recorder of [filtered, unfiltered]) {
        await recorder.waitForEventsUnder(streams.prefix, 4);
        expect(ids(recorder.eventsUnder(streams.prefix))).toEqual(expected);
      }
    });

    it("from 'end': only events appended after subscribing", async () => {
      const streams = new TestStreams();
      await context.store.appendToStream(streams.name('old'), [newEvent()]);
      const filter = { streamNamePrefixes: [`${streams.prefix}-`] };
      const recorder = record(new SubscriptionRecorder(context.store.subscribeToAll({ fromPosition: 'end', filter })));
      await recorder.waitForCaughtUp();
      const fresh = newEvent(1);
      await context.store.appendToStream(streams.name('new'), [fresh]);
      await recorder.waitForEventsUnder(streams.prefix, 1);
      expect(ids(recorder.events)).toEqual([fresh.id]);
    });

    it('checkpoints advance past filtered-out events and never pass an undelivered event', async () => {
      const wanted = new TestStreams();
      const noise = new TestStreams();
      const marker = await context.store.appendToStream(noise.name('marker'), [newEvent()]);
      const appendNoise = async (count: number): Promise<Position> => {
        let last = marker.position;
        for (let i = 0; i < count; i += 40) last = (await context.store.appendToStream(noise.name(`n${i}`), newEvents(40))).position;
        return last;
      };
      await appendNoise(120);

      const filter = { streamNamePrefixes: [`${wanted.prefix}-`] };
      const recorder = record(new SubscriptionRecorder(context.store.subscribeToAll({ fromPosition: marker.position, filter })));
      await recorder.waitUntil(() => recorder.checkpoints.some((p) => comparePositions(p, marker.position) > 0), 'a checkpoint');
      expect(recorder.events).toEqual([]);

      const target = newEvent();
      const targetResult = await context.store.appendToStream(wanted.name('ring'), [target]);
      await recorder.waitForEventsUnder(wanted.prefix, 1);
      const liveNoiseEnd = await appendNoise(120);
      await recorder.waitUntil(
        () => recorder.checkpoints.some((p) => comparePositions(p, targetResult.position) > 0),
        'a live checkpoint after the wanted event',
      );
      expect(comparePositions(liveNoiseEnd, targetResult.position)).toBeGreaterThan(0);

      // A consumer that stored any checkpoint seen before the event must still get the event.
      const targetAt = recorder.items.findIndex((item) => item.kind === 'event');
      let previous: Position | undefined;
      recorder.items.forEach((item, index) => {
        if (item.kind !== 'checkpoint') return;
        if (previous) expect(comparePositions(item.position, previous)).toBeGreaterThanOrEqual(0);
        previous = item.position;
        if (index < targetAt) expect(comparePositions(item.position, targetResult.position)).toBeLessThan(0);
      });
      expect(ids(recorder.events)).toEqual([target.id]);

      const lastBefore = recorder.items.slice(0, targetAt).filter((item) => item.kind === 'checkpoint').pop();
      if (lastBefore?.kind !== 'checkpoint') throw new Error('no checkpoint before the wanted event');
      const resumed = record(new SubscriptionRecorder(context.store.subscribeToAll({ fromPosition: lastBefore.position, filter })));
      await resumed.waitForEventsUnder(wanted.prefix, 1);
      expect(ids(resumed.events)).toEqual([target.id]);
    });

    it('unsubscribe ends the iteration and resolves a pending next()', async () => {
      const streams = new TestStreams();
      const subscription = context.store.subscribeToAll({
        fromPosition: 'end',
        filter: { streamNamePrefixes: [`${streams.prefix}-`] },
      });
      const iterator = subscription[Symbol.asyncIterator]();
      for (let item = await iterator.next(); !item.done; item = await iterator.next()) {
        if (item.value.kind === 'caught-up') break;
      }
      const pending = iterator.next();
      await subscription.unsubscribe();
      expect((await pending).done).toBe(true);
      expect((await iterator.next()).done).toBe(true);

      const never = context.store.subscribeToAll({ fromPosition: 'start' });
      await never.unsubscribe();
      const recorder = new SubscriptionRecorder(never);
      await recorder.waitUntil(() => recorder.ended, 'the iteration to end');
      expect(recorder.events).toEqual([]);
    });
  });
}
