import { randomUUID } from 'node:crypto';
import { metaStream } from '@cmk/domain';
import { ConcurrencyError, type EventStore } from '@cmk/eventstore';

const STREAM = metaStream('store-identity');

/**
 * A random id written once into the event store itself. Redis keys (read models, queues) are
 * namespaced with it, so a Redis that once served another store (a deleted `.data`, another
 * deployment sharing the server) can never hand this store a stale checkpoint or stale jobs.
 */
export async function storeIdentity(store: EventStore): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const [first] = await store.readStream(STREAM, { maxCount: 1 });
    const existing = first?.data['storeId'];
    if (typeof existing === 'string') return existing;
    const storeId = randomUUID().replace(/-/g, '').slice(0, 12);
    try {
      await store.appendToStream(STREAM, [{ id: randomUUID(), type: 'StoreIdentified', data: { storeId }, metadata: { actor: 'system' } }], { expectedRevision: 'no_stream' });
      return storeId;
    } catch (error) {
      // Another process created it first: read theirs.
      if (!(error instanceof ConcurrencyError)) throw error;
    }
  }
  throw new Error('Could not establish the event store identity');
}
