import { ANY, NO_STREAM, STREAM_EXISTS } from '@eventstore/db-client';
import { expectedRevisionText, isSystemStream, toClientExpectedRevision } from './esdb-mapping';
import { ItemQueue } from './item-queue';
import { readEventStoreUrl } from './open-esdb-event-store';

describe('EventStoreDB adapter (pure parts)', () => {
  it('maps expected revisions to the client constants and to the port text form', () => {
    expect(toClientExpectedRevision('no_stream')).toBe(NO_STREAM);
    expect(toClientExpectedRevision('stream_exists')).toBe(STREAM_EXISTS);
    expect(toClientExpectedRevision('any')).toBe(ANY);
    expect(toClientExpectedRevision(41n)).toBe(41n);
    expect(['no_stream', 'stream_exists', 'any', 7n].map((e) => expectedRevisionText(e as 'any' | bigint))).toEqual([
      'no_stream',
      'stream_exists',
      'any',
      '7',
    ]);
  });

  it('treats $-prefixed streams as system streams only', () => {
    expect(isSystemStream('$settings')).toBe(true);
    expect(isSystemStream('$$keyring-1')).toBe(true);
    expect(isSystemStream('keyring-$1')).toBe(false);
  });

  it('passes EVENTSTORE_URL through untouched and rejects other schemes', () => {
    const cluster = 'esdb://a:2113,b:2113,c:2113?tls=true&tlsCAFile=/certs/ca.crt&nodePreference=leader';
    expect(readEventStoreUrl({ EVENTSTORE_URL: 'esdb://127.0.0.1:2113?tls=false' })).toBe('esdb://127.0.0.1:2113?tls=false');
    expect(readEventStoreUrl({ EVENTSTORE_URL: cluster })).toBe(cluster);
    expect(readEventStoreUrl({ EVENTSTORE_URL: 'esdb+discover://cluster.internal:2113' })).toBe('esdb+discover://cluster.internal:2113');
    expect(readEventStoreUrl({})).toBeUndefined();
    expect(() => readEventStoreUrl({ EVENTSTORE_URL: 'http://127.0.0.1:2113' })).toThrow(/esdb:\/\//);
  });

  describe('ItemQueue', () => {
    it('hands items to a waiting consumer in order, and close() resolves pending pulls as done', async () => {
      const queue = new ItemQueue<number>();
      const first = queue.next();
      queue.push(1);
      queue.push(2);
      expect(await first).toEqual({ value: 1, done: false });
      expect(await queue.next()).toEqual({ value: 2, done: false });
      const pending = queue.next();
      queue.close();
      expect(await pending).toEqual({ value: undefined, done: true });
      queue.push(3);
      expect((await queue.next()).done).toBe(true);
    });

    it('delivers buffered items before a failure', async () => {
      const queue = new ItemQueue<string>();
      queue.push('a');
      queue.fail(new Error('boom'));
      expect(await queue.next()).toEqual({ value: 'a', done: false });
      await expect(queue.next()).rejects.toThrow('boom');
    });

    it('tells the producer when the consumer has drained below the low mark', async () => {
      const queue = new ItemQueue<number>();
      for (let i = 0; i < 4; i += 1) queue.push(i);
      let resumed = 0;
      queue.whenBelow(1, () => (resumed += 1));
      await queue.next();
      await queue.next();
      expect(resumed).toBe(0);
      await queue.next();
      await queue.next();
      expect(resumed).toBe(1);
    });
  });
});
