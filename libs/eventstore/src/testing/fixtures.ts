import { randomUUID } from 'node:crypto';
import type { EventData, EventStore, JsonObject, RecordedEvent } from '../port/event-store';
import { ConcurrencyError } from '../port/errors';

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

/** Events of `store`'s `$all` from `from` (inclusive) that belong to this test, in log order. */
export async function ownEventsInAll(store: EventStore, streams: TestStreams, from: RecordedEvent): Promise<RecordedEvent[]> {
  const all = await store.readAll({ fromPosition: from.position, maxCount: 1_000 });
  return all.filter((event) => event.streamId.startsWith(`${streams.prefix}-`));
}
