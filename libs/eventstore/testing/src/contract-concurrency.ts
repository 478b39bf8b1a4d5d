import type { ContractContext } from './contract-context';
import { newEvent, TestStreams } from './fixtures';
import { SubscriptionRecorder } from './subscription-recorder';
import { ConcurrencyError, comparePositions, formatPosition } from '@cmk/eventstore';

export function describeConcurrency(context: ContractContext): void {
  describe('concurrent writers', () => {
    it('two writers racing on one stream with the same expected revision: exactly one wins', async () => {
      const other = await context.other();
      const streams = new TestStreams();
      for (let round = 0; round < 5; round += 1) {
        const stream = streams.name(`race${round}`);
        const base = await context.store.appendToStream(stream, [newEvent()], { expectedRevision: 'no_stream' });
        const outcomes = await Promise.allSettled([
          context.store.appendToStream(stream, [newEvent(1)], { expectedRevision: base.nextExpectedRevision }),
          other.appendToStream(stream, [newEvent(2)], { expectedRevision: base.nextExpectedRevision }),
        ]);
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0]).toBeInstanceOf(ConcurrencyError);
        expect(await context.store.readStream(stream)).toHaveLength(2);
      }
    });

    it('many concurrent appends to different streams all land, each once', async () => {
      const other = await context.other();
      const streams = new TestStreams();
      const filter = { streamNamePrefixes: [`${streams.prefix}-`] };
      const recorder = new SubscriptionRecorder(context.store.subscribeToAll({ fromPosition: 'end', filter }));
      try {
        await recorder.waitForCaughtUp();
        const count = 40;
        const results = await Promise.all(
          Array.from({ length: count }, (_, i) =>
            (i % 2 === 0 ? context.store : other).appendToStream(streams.name(`dk${i}`), [newEvent(i)], {
              expectedRevision: 'no_stream',
            }),
          ),
        );
        expect(new Set(results.map((r) => formatPosition(r.position))).size).toBe(count);
        for (let i = 0; i < count; i += 1) {
          expect(await context.store.readStream(streams.name(`dk${i}`))).toHaveLength(1);
        }
        const delivered = await recorder.waitForEventsUnder(streams.prefix, count);
        expect(new Set(delivered.map((e) => e.id)).size).toBe(count);
        for (let i = 1; i < delivered.length; i += 1) {
          expect(comparePositions(delivered[i - 1].position, delivered[i].position)).toBeLessThan(0);
        }
      } finally {
        await recorder.stop();
      }
    });

    it("another client's appends reach this client's live subscription", async () => {
      const other = await context.other();
      const streams = new TestStreams();
      const filter = { streamNamePrefixes: [`${streams.prefix}-`] };
      const recorder = new SubscriptionRecorder(context.store.subscribeToAll({ fromPosition: 'end', filter }));
      try {
        await recorder.waitForCaughtUp();
        const event = newEvent();
        await other.appendToStream(streams.name('remote'), [event]);
        const [delivered] = await recorder.waitForEventsUnder(streams.prefix, 1);
        expect(delivered.id).toBe(event.id);
      } finally {
        await recorder.stop();
      }
    });
  });
}
