import type { ContractContext } from './contract-context';
import { ids, newEvent, newEvents, rejectionOf, TestStreams } from './fixtures';
import { DuplicateEventIdError, comparePositions, type AppendResult } from '@cmk/eventstore';

function expectSameResult(actual: AppendResult, original: AppendResult): void {
  expect(actual.nextExpectedRevision).toBe(original.nextExpectedRevision);
  expect(comparePositions(actual.position, original.position)).toBe(0);
}

/** Event ids are idempotency keys, as in EventStoreDB: a retried append never writes twice. */
export function describeIdempotency(context: ContractContext): void {
  describe('idempotent event ids', () => {
    it('re-appending the same ids with the same expected revision returns the original result', async () => {
      const stream = new TestStreams().name('datakey');
      const batch = newEvents(2);
      const original = await context.store.appendToStream(stream, batch, { expectedRevision: 'no_stream' });
      const retried = await context.store.appendToStream(stream, batch, { expectedRevision: 'no_stream' });
      expectSameResult(retried, original);
      expect(ids(await context.store.readStream(stream))).toEqual(ids(batch));
    });

    it("re-appending the same ids with 'any' returns the original result", async () => {
      const stream = new TestStreams().name('datakey');
      const event = newEvent();
      const original = await context.store.appendToStream(stream, [event]);
      await context.store.appendToStream(stream, [newEvent()]);
      const retried = await context.store.appendToStream(stream, [event], { expectedRevision: 'any' });
      expectSameResult(retried, original);
      expect(await context.store.readStream(stream)).toHaveLength(2);
    });

    it('a retry of an earlier append still matches after later appends', async () => {
      const stream = new TestStreams().name('datakey');
      const [a, b, c] = newEvents(3);
      const first = await context.store.appendToStream(stream, [a], { expectedRevision: 'no_stream' });
      const second = await context.store.appendToStream(stream, [b], { expectedRevision: 0n });
      await context.store.appendToStream(stream, [c], { expectedRevision: 1n });

      expectSameResult(await context.store.appendToStream(stream, [b], { expectedRevision: 0n }), second);
      expectSameResult(await context.store.appendToStream(stream, [a], { expectedRevision: 'no_stream' }), first);
      expect(ids(await context.store.readStream(stream))).toEqual([a.id, b.id, c.id]);
    });

    it('a batch that only partly repeats an earlier append is rejected and writes nothing', async () => {
      const stream = new TestStreams().name('datakey');
      const existing = newEvent();
      await context.store.appendToStream(stream, [existing]);
      const error = await rejectionOf(context.store.appendToStream(stream, [existing, newEvent()], { expectedRevision: 'any' }));
      expect(error).toBeInstanceOf(DuplicateEventIdError);
      expect((error as DuplicateEventIdError).streamName).toBe(stream);
      expect(ids(await context.store.readStream(stream))).toEqual([existing.id]);
    });
  });
}
