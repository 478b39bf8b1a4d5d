import type { ContractContext } from './contract-context';
import { expectConcurrencyError, ids, newEvent, newEvents, rejectionOf, TestStreams } from './fixtures';
import { comparePositions } from '@cmk/eventstore';

/**
 * Expected revisions. The error's text forms are adapter-neutral: `expected` is the option as
 * text (`'no_stream'`, `'stream_exists'`, `'any'` or the decimal revision) and `actual` is the
 * stream's last revision in decimal, or `'no_stream'` when it does not exist.
 */
export function describeAppends(context: ContractContext): void {
  describe('appendToStream and expected revisions', () => {
    it("'no_stream' creates a stream and conflicts once it exists", async () => {
      const stream = new TestStreams().name('order');
      const first = await context.store.appendToStream(stream, [newEvent()], { expectedRevision: 'no_stream' });
      expect(first.nextExpectedRevision).toBe(0n);

      const error = await rejectionOf(context.store.appendToStream(stream, [newEvent()], { expectedRevision: 'no_stream' }));
      expectConcurrencyError(error, stream, 'no_stream', '0');
      expect(await context.store.readStream(stream)).toHaveLength(1);
    });

    it("'stream_exists' conflicts on a missing stream and appends to an existing one", async () => {
      const stream = new TestStreams().name('order');
      const error = await rejectionOf(context.store.appendToStream(stream, [newEvent()], { expectedRevision: 'stream_exists' }));
      expectConcurrencyError(error, stream, 'stream_exists', 'no_stream');
      expect(await context.store.readStream(stream)).toEqual([]);

      await context.store.appendToStream(stream, [newEvent()], { expectedRevision: 'no_stream' });
      const second = await context.store.appendToStream(stream, [newEvent()], { expectedRevision: 'stream_exists' });
      expect(second.nextExpectedRevision).toBe(1n);
    });

    it("'any' appends whatever the stream's state, and is the default", async () => {
      const stream = new TestStreams().name('order');
      const first = await context.store.appendToStream(stream, [newEvent()], { expectedRevision: 'any' });
      const second = await context.store.appendToStream(stream, [newEvent()], { expectedRevision: 'any' });
      const third = await context.store.appendToStream(stream, [newEvent()]);
      expect([first, second, third].map((r) => r.nextExpectedRevision)).toEqual([0n, 1n, 2n]);
    });

    it('an exact revision appends only when it is the last revision', async () => {
      const stream = new TestStreams().name('order');
      const missing = await rejectionOf(context.store.appendToStream(stream, [newEvent()], { expectedRevision: 0n }));
      expectConcurrencyError(missing, stream, '0', 'no_stream');

      await context.store.appendToStream(stream, newEvents(2), { expectedRevision: 'no_stream' });
      const stale = await rejectionOf(context.store.appendToStream(stream, [newEvent()], { expectedRevision: 0n }));
      expectConcurrencyError(stale, stream, '0', '1');
      const ahead = await rejectionOf(context.store.appendToStream(stream, [newEvent()], { expectedRevision: 5n }));
      expectConcurrencyError(ahead, stream, '5', '1');

      const ok = await context.store.appendToStream(stream, [newEvent()], { expectedRevision: 1n });
      expect(ok.nextExpectedRevision).toBe(2n);
      expect(await context.store.readStream(stream)).toHaveLength(3);
    });

    it('a batch takes consecutive revisions and returns the last one', async () => {
      const stream = new TestStreams().name('order');
      const batch = newEvents(3);
      const result = await context.store.appendToStream(stream, batch, { expectedRevision: 'no_stream' });
      expect(result.nextExpectedRevision).toBe(2n);
      const next = await context.store.appendToStream(stream, newEvents(2, 3), { expectedRevision: result.nextExpectedRevision });
      expect(next.nextExpectedRevision).toBe(4n);

      const read = await context.store.readStream(stream);
      expect(read.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n, 4n]);
      expect(ids(read.slice(0, 3))).toEqual(ids(batch));
      expect(comparePositions(result.position, read[2].position)).toBe(0);
    });

    it('records what was appended, field by field', async () => {
      const stream = new TestStreams().name('order');
      const withMetadata = newEvent(7, { type: 'KeyAdded' });
      const withoutMetadata = { id: newEvent().id, type: 'DefaultChanged', data: { from: 'platform', to: 'k1' } };
      const first = await context.store.appendToStream(stream, [withMetadata]);
      await context.store.appendToStream(stream, [withoutMetadata]);

      const [a, b] = await context.store.readStream(stream);
      expect(a).toMatchObject({ streamId: stream, id: withMetadata.id, type: 'KeyAdded', revision: 0n });
      expect(a.data).toEqual(withMetadata.data);
      expect(a.metadata).toEqual(withMetadata.metadata);
      expect(comparePositions(a.position, first.position)).toBe(0);
      expect(a.created).toBeInstanceOf(Date);
      expect(Number.isNaN(a.created.getTime())).toBe(false);
      expect(b).toMatchObject({ streamId: stream, id: withoutMetadata.id, type: 'DefaultChanged', revision: 1n });
      expect(b.data).toEqual(withoutMetadata.data);
      expect(b.metadata).toEqual({});
    });

    it('headPosition is at or after the last append', async () => {
      const stream = new TestStreams().name('order');
      const result = await context.store.appendToStream(stream, [newEvent()]);
      expect(comparePositions(await context.store.headPosition(), result.position)).toBeGreaterThanOrEqual(0);
    });
  });
}
