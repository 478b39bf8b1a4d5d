import type { EventMetadata, Message } from './metadata';
import { isPlainObject, toJsonObject, type JsonObject } from './json';

/**
 * Shared codec machinery: events are decoded at the edge (validated field by field, upcast from
 * older shapes) so nothing downstream ever casts `event.data as X`.
 */

/** What a codec accepts: a recorded event from any event store adapter, or a test fixture. */
export interface RawEvent {
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
}

/** What `encode` produces: the event store's `EventData` minus the `id` the caller supplies. */
export interface EncodedEvent {
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
}

/** A stored event that does not match its schema. Not a `DomainError`: it is a data defect. */
export class EventDecodingError extends Error {
  override readonly name = 'EventDecodingError';
  readonly code = 'EVENT_DECODING_FAILED';
  constructor(
    readonly eventType: string,
    /** Where in the event the problem is, e.g. `data.keyIds[2]`. */
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Cannot decode ${eventType} at ${path}: ${reason}`);
  }
}

/**
 * Rewrites an older payload shape into the current one. Upcasters for a type run in order on
 * every read, so each must leave an already-current payload unchanged.
 */
export type Upcaster = (data: Readonly<Record<string, unknown>>) => Record<string, unknown>;
export type UpcasterRegistry = Readonly<Partial<Record<string, readonly Upcaster[]>>>;

/**
 * An aggregate's codec: decodes stored events at the edge and encodes new ones. Each aggregate
 * exports one (`keyringCodec`, `orgCodec`, `dataKeyCodec`) for the command path and state reads.
 */
export interface EventCodec<E> {
  readonly decode: (raw: RawEvent) => E;
  readonly encode: (event: E) => EncodedEvent;
}

/** Typed, path-reporting accessors over one object of an event being decoded. */
export class FieldReader {
  constructor(
    private readonly source: Readonly<Record<string, unknown>>,
    private readonly eventType: string,
    private readonly path: string,
  ) {}

  static of(value: unknown, eventType: string, path: string): FieldReader {
    if (!isPlainObject(value)) throw new EventDecodingError(eventType, path, 'expected an object');
    return new FieldReader(value, eventType, path);
  }

  fail(name: string, reason: string): never {
    throw new EventDecodingError(this.eventType, `${this.path}.${name}`, reason);
  }

  string(name: string): string {
    const value = this.source[name];
    if (typeof value !== 'string' || value.length === 0) this.fail(name, 'expected a non-empty string');
    return value;
  }

  optionalString(name: string): string | undefined {
    return this.source[name] === undefined ? undefined : this.string(name);
  }

  /** A non-negative safe integer (counts). */
  count(name: string): number {
    const value = this.source[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) this.fail(name, 'expected a count');
    return value;
  }

  optionalCount(name: string): number | undefined {
    return this.source[name] === undefined ? undefined : this.count(name);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T {
    const value = this.source[name];
    const match = allowed.find((candidate) => candidate === value);
    if (match === undefined) this.fail(name, `expected one of ${allowed.join(', ')}`);
    return match;
  }

  stringArray(name: string): string[] {
    const value = this.source[name];
    if (!Array.isArray(value)) this.fail(name, 'expected an array of strings');
    return value.map((item: unknown, i) => {
      if (typeof item !== 'string' || item.length === 0) this.fail(`${name}[${i}]`, 'expected a non-empty string');
      return item;
    });
  }

  countRecord(name: string): Record<string, number> {
    const value = this.source[name];
    if (!isPlainObject(value)) this.fail(name, 'expected an object of counts');
    const out: Record<string, number> = {};
    for (const [key, item] of Object.entries(value)) {
      if (typeof item !== 'number' || !Number.isSafeInteger(item) || item < 0) this.fail(`${name}.${key}`, 'expected a count');
      out[key] = item;
    }
    return out;
  }
}

export function decodeMetadata(value: unknown, eventType: string): EventMetadata {
  const m = FieldReader.of(value, eventType, 'metadata');
  const tokenId = m.optionalString('tokenId');
  return {
    actor: m.string('actor'),
    ...(tokenId === undefined ? {} : { tokenId }),
    requestId: m.string('requestId'),
    correlationId: m.string('correlationId'),
    causationId: m.string('causationId'),
    occurredAt: m.string('occurredAt'),
  };
}

/** Runs the registered upcasters of `raw.type` over its data and returns a reader on the result. */
export function readData(raw: RawEvent, upcasters: UpcasterRegistry = {}): FieldReader {
  if (!isPlainObject(raw.data)) throw new EventDecodingError(raw.type, 'data', 'expected an object');
  let data: Record<string, unknown> = raw.data;
  for (const upcast of upcasters[raw.type] ?? []) data = upcast(data);
  return FieldReader.of(data, raw.type, 'data');
}

/** Encodes a domain event for the event store (the caller adds the event id). */
export function encodeMessage(event: Message<string, object>): EncodedEvent {
  return { type: event.type, data: toJsonObject(event.data, 'data'), metadata: toJsonObject(event.metadata, 'metadata') };
}
