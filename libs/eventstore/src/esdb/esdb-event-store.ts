import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { ConcurrencyError, DuplicateEventIdError, type AllSubscription, type AppendOptions, type AppendResult, type EventData, type EventStore, type ExpectedRevision, type ReadAllOptions, type ReadStreamOptions, type RecordedEvent, type SubscribeToAllOptions, comparePositions, START_POSITION, type Position } from '@cmk/eventstore/port';
import { expectedRevisionText, isSystemStream, toClientEvent, toClientExpectedRevision, toClientPosition, toRecordedEvent } from './esdb-mapping';
import { EsdbAllSubscription, type EsdbSubscriptionSettings } from './esdb-subscription';

/** `$all` is read in pages of this many records, since system events are skipped on our side. */
const ALL_PAGE_SIZE = 500;

/**
 * The event store port over EventStoreDB / KurrentDB through `@eventstore/db-client`. Only the
 * server's wrong-expected-version answer becomes a `ConcurrencyError`; outages, timeouts and
 * everything else reach the caller as the client raised them.
 */
export class EsdbEventStore implements EventStore {
  private readonly subscriptions = new Set<EsdbAllSubscription>();

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly subscriptionSettings: EsdbSubscriptionSettings = {},
  ) {}

  async appendToStream(streamName: string, events: readonly EventData[], options: AppendOptions = {}): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    try {
      const result = await this.client.appendToStream(streamName, events.map(toClientEvent), {
        expectedRevision: toClientExpectedRevision(expected),
      });
      if (!result.position) throw new Error(`The server returned no position for the append to ${streamName}`);
      return {
        nextExpectedRevision: result.nextExpectedRevision,
        position: { commit: result.position.commit, prepare: result.position.prepare },
      };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) throw await this.rejection(streamName, events, expected, error);
      throw error;
    }
  }

  /**
   * The server answers "wrong expected version" also when a batch repeats only some event ids of
   * an earlier write ("corrupted idempotency"). When the expectation itself held (`any`, or
   * `stream_exists` on an existing stream) that is what happened, and it is no conflict.
   */
  private async rejection(
    streamName: string,
    events: readonly EventData[],
    expected: ExpectedRevision,
    error: WrongExpectedVersionError,
  ): Promise<Error> {
    const actual = typeof error.actualVersion === 'bigint' ? error.actualVersion.toString() : 'no_stream';
    const expectationHeld = expected === 'any' || (expected === 'stream_exists' && actual !== 'no_stream');
    if (!expectationHeld) return new ConcurrencyError(streamName, expectedRevisionText(expected), actual);
    const stored = new Set((await this.readStream(streamName).catch(() => [])).map((event) => event.id));
    const repeated = events.find((event) => stored.has(event.id)) ?? events[0];
    return new DuplicateEventIdError(streamName, repeated?.id ?? '');
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const direction = options.direction ?? 'forwards';
    const from = options.fromRevision ?? (direction === 'forwards' ? 'start' : 'end');
    if (options.maxCount !== undefined && options.maxCount <= 0) return [];
    const events: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(streamName, {
        direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
        fromRevision: from === 'start' ? START : from === 'end' ? END : from,
        ...(options.maxCount !== undefined ? { maxCount: options.maxCount } : {}),
      });
      for await (const resolved of read) events.push(toRecordedEvent(resolved));
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  /** Reads `$all` without system events; `maxCount` counts the events returned, not those skipped. */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const direction = options.direction ?? 'forwards';
    const limit = options.maxCount ?? Number.POSITIVE_INFINITY;
    const events: RecordedEvent[] = [];
    let from: Position | 'start' | 'end' = options.fromPosition ?? (direction === 'forwards' ? 'start' : 'end');
    let seen: Position | undefined;
    while (events.length < limit) {
      const page = await this.readAllPage(direction, from);
      for (const { raw, position } of page) {
        // Pages overlap by one record when a read starts at the last position of the previous one.
        if (seen && comparePositions(position, seen) === 0) continue;
        if (!isSystemStream(raw.event?.streamId ?? '$')) events.push(toRecordedEvent(raw));
        if (events.length >= limit) break;
      }
      const last = page.at(-1);
      if (page.length < ALL_PAGE_SIZE || !last) break;
      seen = last.position;
      from = last.position;
    }
    return events;
  }

  private async readAllPage(direction: 'forwards' | 'backwards', from: Position | 'start' | 'end') {
    const page = [];
    const read = this.client.readAll({
      direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
      fromPosition: toClientPosition(from),
      maxCount: ALL_PAGE_SIZE,
    });
    for await (const raw of read) {
      if (raw.event) page.push({ raw, position: raw.event.position });
    }
    return page;
  }

  /** The position of the last non-system event: system streams never count as the log's head. */
  async headPosition(): Promise<Position> {
    const [last] = await this.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 });
    return last?.position ?? START_POSITION;
  }

  subscribeToAll(options: SubscribeToAllOptions): AllSubscription {
    const subscription: EsdbAllSubscription = new EsdbAllSubscription(this.client, options, this.subscriptionSettings, () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.unsubscribe()));
    await this.client.dispose();
  }
}
