import { randomUUID } from 'node:crypto';
import { type EventData, type EventStore, type JsonObject, type RecordedEvent, ConcurrencyError, comparePositions } from '@cmk/eventstore';

/**
 * Names owned by one test: every stream the test touches starts with `prefix`, so the contract
 * suite can run against a shared, long-lived store and filter subscriptions down to its own events.
 */
export class TestStreams {
  /** `ct<12 hex chars>`; no `-` inside so a prefix never matches another test's streams. */
  readonly prefix = `ct${randomUUID().replace(/-/g, '').slice(0, 12)}`;

  /** A stream name under this test's prefix, e.g. `ct1a2b...-order-3`. */
  name(kind: string): string {
    return `${this.prefix}-${kind}`;
  }
}

/** An event with a fresh UUID; `seq` lands in the payload so order checks can read it back. */
export function newEvent(seq = 0, overrides: Partial<EventData> = {}): EventData {
  const data: JsonObject = { seq, nested: { list: [1, 'two', null, true], text: 'é✓' } };
  return {
    id: randomUUID(),
    type: 'ContractTested',
    data,
    metadata: { actor: 'system', correlationId: randomUUID() },
    ...overrides,
  };
}

export function newEvents(count: number, firstSeq = 0): EventData[] {
  return Array.from({ length: count }, (_, i) => newEvent(firstSeq + i));
}

/** Resolves with what `promise` rejected with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('Expected the operation to reject, but it resolved');
}

/** Asserts the port's wrong-expected-revision error with the adapter-neutral text forms. */
export function expectConcurrencyError(error: unknown, streamName: string, expected: string, actual: string): void {
  expect(error).toBeInstanceOf(ConcurrencyError);
  const conflict = error as ConcurrencyError;
  expect({ streamName: conflict.streamName, expected: conflict.expected, actual: conflict.actual }).toEqual({
    streamName,
    expected,
    actual,
  });
}

export function ids(events: readonly { id: string }[]): string[] {
  return events.map((event) => event.id);
}

/**
 * This test's events in `store`'s `$all` from `from` (inclusive), in log order. Pages forwards
 * until `expected` own events are found or the log ends, so foreign writers interleaving on a
 * shared store cannot push ours out of a fixed window.
 */
export async function ownEventsInAll(
  store: EventStore,
  streams: TestStreams,
  from: RecordedEvent,
  expected: number,
): Promise<RecordedEvent[]> {
  const own: RecordedEvent[] = [];
  const pageSize = 500;
  let cursor = from.position;
  for (let first = true; ; first = false) {
    const page = await store.readAll({ fromPosition: cursor, maxCount: pageSize });
    // The read is inclusive: after the first page, its first event is the previous page's last.
    const fresh = first ? page : page.filter((event) => comparePositions(event.position, cursor) > 0);
    own.push(...fresh.filter((event) => event.streamId.startsWith(`${streams.prefix}-`)));
    const last = page[page.length - 1];
    if (own.length >= expected || page.length < pageSize || !last) return own;
    cursor = last.position;
  }
}

/**
 * The most recent events of `$all`, newest first, reaching back at least to `oldest`. The window
 * grows until it does, since other writers may have appended meanwhile.
 */
export async function latestEventsBackTo(store: EventStore, oldest: RecordedEvent): Promise<RecordedEvent[]> {
  for (let maxCount = 200; ; maxCount *= 10) {
    const events = await store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount });
    const last = events[events.length - 1];
    if (!last || events.length < maxCount || comparePositions(last.position, oldest.position) <= 0) return events;
  }
}
