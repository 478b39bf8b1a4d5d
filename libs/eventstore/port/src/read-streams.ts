import type { EventStore, RecordedEvent } from './event-store';

/** Reads in flight at once when a store has no batched read. */
const FALLBACK_LANES = 16;

/**
 * Several whole streams, forwards, one array per name in the order given: through the store's
 * own batched read when it has one (`EventStore.readStreams`), otherwise `readStream` per stream,
 * at most 16 at a time. A missing stream reads as no events.
 */
export async function readStreams(store: EventStore, streamNames: readonly string[]): Promise<RecordedEvent[][]> {
  if (streamNames.length === 0) return [];
  if (store.readStreams) return store.readStreams(streamNames);
  const results: RecordedEvent[][] = new Array<RecordedEvent[]>(streamNames.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < streamNames.length) {
      const i = next++;
      results[i] = await store.readStream(streamNames[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(FALLBACK_LANES, streamNames.length) }, lane));
  return results;
}
