import type { EventStore } from './event-store';

/** Receives the duration of each append in seconds and whether it succeeded (a conflict is a failure here). */
export type AppendObserver = (seconds: number, outcome: 'ok' | 'error') => void;

/**
 * The same store, with every `appendToStream` timed (for the append-latency histogram on the
 * apps' `/metrics`). Everything else is passed through untouched.
 */
export function withTimedAppends(store: EventStore, observe: AppendObserver): EventStore {
  const readMany = store.readStreams?.bind(store);
  return {
    async appendToStream(streamName, events, options) {
      const started = process.hrtime.bigint();
      let outcome: 'ok' | 'error' = 'error';
      try {
        const result = await store.appendToStream(streamName, events, options);
        outcome = 'ok';
        return result;
      } finally {
        observe(Number(process.hrtime.bigint() - started) / 1e9, outcome);
      }
    },
    readStream: (streamName, options) => store.readStream(streamName, options),
    ...(readMany ? { readStreams: readMany } : {}),
    readAll: (options) => store.readAll(options),
    subscribeToAll: (options) => store.subscribeToAll(options),
    headPosition: () => store.headPosition(),
    ...(store.probeWriteLock ? { probeWriteLock: (waitMs: number) => store.probeWriteLock?.(waitMs) ?? Promise.resolve() } : {}),
    close: () => store.close(),
  };
}
