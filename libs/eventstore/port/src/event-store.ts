import type { Position } from './position';

/** A JSON document: what event payloads and metadata are made of. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** An event to append. `id` is a UUID chosen by the writer: re-appending it is idempotent. */
export interface EventData {
  readonly id: string;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata?: JsonObject;
}

/** An event as stored. `revision` is its 0-based index in its stream. */
export interface RecordedEvent {
  readonly streamId: string;
  readonly id: string;
  readonly type: string;
  readonly revision: bigint;
  readonly position: Position;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
  readonly created: Date;
}

/**
 * What the writer expects the stream's last revision to be, as in `@eventstore/db-client`:
 * `'no_stream'` (it must not exist), `'stream_exists'`, `'any'`, or the exact last revision.
 */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | bigint;

export interface AppendOptions {
  /** Default `'any'`. */
  readonly expectedRevision?: ExpectedRevision;
}

export interface AppendResult {
  /** The revision of the last event now in the stream: pass it as the next expected revision. */
  readonly nextExpectedRevision: bigint;
  /** Global position of the last event written (or of the matching earlier write when idempotent). */
  readonly position: Position;
}

export type Direction = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  /** Default `'forwards'`. */
  readonly direction?: Direction;
  /** Inclusive. Default: `'start'` forwards, `'end'` backwards. */
  readonly fromRevision?: bigint | 'start' | 'end';
  /** Default: no limit. */
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  readonly direction?: Direction;
  /** Inclusive start for forwards reads; default `'start'` forwards, `'end'` backwards. */
  readonly fromPosition?: Position | 'start' | 'end';
  readonly maxCount?: number;
}

export interface SubscriptionFilter {
  /** Only events whose stream name starts with one of these prefixes are delivered. */
  readonly streamNamePrefixes: readonly string[];
}

export interface SubscribeToAllOptions {
  /** Exclusive: delivery starts after this position. `'start'` delivers everything. */
  readonly fromPosition: Position | 'start' | 'end';
  readonly filter?: SubscriptionFilter;
}

/**
 * What a subscription yields. `checkpoint` reports a position the subscription has passed even
 * when every event there was filtered out, so a consumer can store it and resume from it
 * (EventStoreDB's `checkpointReached`). `caught-up` is yielded once, when catch-up reaches the
 * live end of the log.
 */
export type SubscriptionItem =
  | { readonly kind: 'event'; readonly event: RecordedEvent }
  | { readonly kind: 'checkpoint'; readonly position: Position }
  | { readonly kind: 'caught-up'; readonly position: Position };

export interface AllSubscription extends AsyncIterable<SubscriptionItem> {
  /** Ends the iteration; pending `next()` calls resolve with `done`. */
  unsubscribe(): Promise<void>;
}

/**
 * The event store port. Shaped after `@eventstore/db-client` (`appendToStream`, `readStream`,
 * `readAll`, `subscribeToAll` with `streamNameFilter`) so the EventStoreDB adapter fits without
 * changing callers. Reading a stream that does not exist yields no events (not an error).
 */
export interface EventStore {
  appendToStream(streamName: string, events: readonly EventData[], options?: AppendOptions): Promise<AppendResult>;
  readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /**
   * Several whole streams at once, forwards: one array per name, in the order of `streamNames`
   * (a missing stream reads as no events, a repeated name gives the same events twice). Stores
   * that can answer with fewer round trips than one read per stream have it (PostgreSQL: one
   * query; SQLite: one synchronous pass); callers go through `readStreams()`, which falls back
   * to `readStream` per stream.
   */
  readStreams?(streamNames: readonly string[]): Promise<RecordedEvent[][]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  subscribeToAll(options: SubscribeToAllOptions): AllSubscription;
  /** The position of the last event in the log, or `START_POSITION` when it is empty. */
  headPosition(): Promise<Position>;
  /**
   * Resolves when an append could take the store's write lock within `waitMs`, rejects when
   * another writer holds it longer. Only stores whose reads keep working while a writer holds
   * the lock (SQLite in WAL mode) have it: their outages are invisible to `headPosition`.
   */
  probeWriteLock?(waitMs: number): Promise<void>;
  close(): Promise<void>;
}

/** DI token for the event store port. */
export const EVENT_STORE = Symbol('EVENT_STORE');
