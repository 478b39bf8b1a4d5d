import type { Decider, EventCodec } from '@cmk/domain';
import type { EventStore, RecordedEvent } from '@cmk/eventstore/port';

/**
 * The one way to read an aggregate: read its stream, decode each event with the aggregate's
 * codec and fold it with its decider. Every reader (auth, key ring, data keys, the worker) and
 * the command path itself go through here, so no site writes the fold again.
 */

/** An aggregate's state as read, with the events it was folded from. */
export interface StreamState<S> {
  readonly state: S;
  /**
   * The events read, oldest first. Pass them to `handleCommand` as `recorded` so a command
   * decided right after this read does not read the stream again.
   */
  readonly recorded: readonly RecordedEvent[];
  /** The revision of the last event, or `'no_stream'` when the stream is empty. */
  readonly revision: bigint | 'no_stream';
}

/** Reads `streamName` and folds it into the aggregate's state. */
export async function readState<S, E>(
  store: EventStore,
  streamName: string,
  decider: Pick<Decider<unknown, E, S>, 'initialState' | 'evolve'>,
  codec: Pick<EventCodec<E>, 'decode'>,
): Promise<StreamState<S>> {
  return stateOf(await store.readStream(streamName), decider, codec);
}

/** The state of events already read (with `readStream`), as `readState` returns it. */
export function stateOf<S, E>(
  recorded: readonly RecordedEvent[],
  decider: Pick<Decider<unknown, E, S>, 'initialState' | 'evolve'>,
  codec: Pick<EventCodec<E>, 'decode'>,
): StreamState<S> {
  return { state: fold(recorded, decider, codec), recorded, revision: revisionOf(recorded) };
}

/** Folds a stream read with `readStream` into the decider's state. */
export function fold<S, E>(recorded: readonly RecordedEvent[], decider: Pick<Decider<unknown, E, S>, 'initialState' | 'evolve'>, codec: Pick<EventCodec<E>, 'decode'>): S {
  let state = decider.initialState();
  for (const event of recorded) state = decider.evolve(state, codec.decode(event));
  return state;
}

/** The expected revision of an append made right after reading `recorded`. */
export function revisionOf(recorded: readonly RecordedEvent[]): bigint | 'no_stream' {
  return recorded.length === 0 ? 'no_stream' : recorded[recorded.length - 1].revision;
}
