import {
  START_POSITION,
  comparePositions,
  type AllSubscription,
  type AppendResult,
  type EventData,
  type EventStore,
  type Position,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type SubscriptionItem,
} from '@cmk/eventstore';

/**
 * A tiny in-memory EventStore for the read-model specs, used where the SQLite adapter is not
 * wanted. It honours what the runner relies on: global order, exclusive `fromPosition`, prefix
 * filters, `checkpoint` items past filtered-out events, `caught-up`, and live delivery.
 */
export class InMemoryEventStore implements EventStore {
  private readonly log: RecordedEvent[] = [];
  private readonly listeners = new Set<() => void>();

  async appendToStream(streamName: string, events: readonly EventData[]): Promise<AppendResult> {
    let revision = BigInt(this.log.filter((e) => e.streamId === streamName).length) - 1n;
    for (const event of events) {
      const seq = BigInt(this.log.length);
      revision += 1n;
      this.log.push({
        streamId: streamName,
        id: event.id,
        type: event.type,
        revision,
        position: { commit: seq, prepare: seq },
        data: event.data,
        metadata: event.metadata ?? {},
        created: new Date(),
      });
    }
    for (const listener of this.listeners) listener();
    return { nextExpectedRevision: revision, position: this.log[this.log.length - 1]?.position ?? START_POSITION };
  }

  async readStream(streamName: string, _options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.log.filter((e) => e.streamId === streamName);
  }

  async readAll(_options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return [...this.log];
  }

  async headPosition(): Promise<Position> {
    return this.log[this.log.length - 1]?.position ?? START_POSITION;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  subscribeToAll(options: SubscribeToAllOptions): AllSubscription {
    const state: { closed: boolean; wake?: () => void } = { closed: false };
    const listener = (): void => state.wake?.();
    this.listeners.add(listener);
    const iterable = this.items(options, state);
    return {
      [Symbol.asyncIterator]: () => iterable,
      unsubscribe: async () => {
        state.closed = true;
        this.listeners.delete(listener);
        state.wake?.();
      },
    };
  }

  private async *items(options: SubscribeToAllOptions, state: { closed: boolean; wake?: () => void }): AsyncGenerator<SubscriptionItem> {
    const from = options.fromPosition === 'start' ? START_POSITION : options.fromPosition;
    const prefixes = options.filter?.streamNamePrefixes;
    let next = from === 'end' ? this.log.length : this.log.findIndex((e) => comparePositions(e.position, from) > 0);
    if (next < 0) next = this.log.length;
    let caughtUp = false;
    while (!state.closed) {
      while (next < this.log.length && !state.closed) {
        const event = this.log[next++];
        if (!prefixes || prefixes.some((p) => event.streamId.startsWith(p))) yield { kind: 'event', event };
        else if (next % 8 === 0) yield { kind: 'checkpoint', position: event.position };
      }
      if (!caughtUp && !state.closed) {
        caughtUp = true;
        yield { kind: 'caught-up', position: await this.headPosition() };
      }
      if (state.closed) return;
      if (next < this.log.length) continue;
      await new Promise<void>((resolve) => (state.wake = resolve));
    }
  }
}
