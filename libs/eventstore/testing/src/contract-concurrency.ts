import type { ContractContext } from './contract-context';
import { ids, newEvent, newEvents, TestStreams } from './fixtures';
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

    it('racing writers on two clients: a live subscription sees every event exactly once, in commit order', async () => {
      const other = await context.other();
      const streams = new TestStreams();
      const filter = { streamNamePrefixes: [`${streams.prefix}-`] };
      const recorder = new SubscriptionRecorder(context.store.subscribeToAll({ fromPosition: 'end', filter }));
      try {
        await recorder.waitForCaughtUp();
        // Four lanes per client, each appending one after another (some batches of two) while the
        // other lanes race it; a few lanes share streams with 'any' so writes interleave inside
        // streams as well as across them.
        const appended: { ids: string[]; issuedAt: bigint; resolvedAt: bigint }[] = [];
        const lane = async (client: typeof other, laneId: number): Promise<void> => {
          for (let i = 0; i < 25; i += 1) {
            const events = newEvents(i % 5 === 0 ? 2 : 1, 100 * laneId + i);
            const stream = streams.name(laneId % 3 === 0 ? `shared${i % 4}` : `lane${laneId}-${i}`);
            const issuedAt = process.hrtime.bigint();
            await client.appendToStream(stream, events, { expectedRevision: laneId % 3 === 0 ? 'any' : 'no_stream' });
            appended.push({ ids: ids(events), issuedAt, resolvedAt: process.hrtime.bigint() });
          }
        };
        await Promise.all(Array.from({ length: 8 }, (_, laneId) => lane(laneId % 2 === 0 ? context.store : other, laneId)));
        const total = appended.reduce((n, a) => n + a.ids.length, 0);
        const delivered = await recorder.waitForEventsUnder(streams.prefix, total, 30_000);

        expect(delivered).toHaveLength(total);
        expect(new Set(ids(delivered))).toEqual(new Set(appended.flatMap((a) => a.ids)));
        for (let i = 1; i < delivered.length; i += 1) {
          expect(comparePositions(delivered[i - 1].position, delivered[i].position)).toBeLessThan(0);
        }
        // Commit order as a client can observe it: an append that resolved before another was
        // issued committed first, so it must be delivered first. A batch arrives contiguously.
        const at = new Map(delivered.map((event, index) => [event.id, index]));
        for (const a of appended) {
          const indexes = a.ids.map((id) => at.get(id) ?? -1);
          expect(indexes).toEqual(indexes.map((_, k) => indexes[0] + k));
          for (const b of appended) {
            if (a.resolvedAt < b.issuedAt) expect(at.get(a.ids[0]) ?? -1).toBeLessThan(at.get(b.ids[0]) ?? -1);
          }
        }
        await recorder.waitUntil(() => recorder.events.length === total, 'no stray deliveries');
        expect(recorder.caughtUpCount).toBe(1);
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
