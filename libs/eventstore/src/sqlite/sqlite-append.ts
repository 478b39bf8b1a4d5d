import { type AppendResult, type EventData, type ExpectedRevision, ConcurrencyError, DuplicateEventIdError, START_POSITION } from '@cmk/eventstore/port';
import { positionOf, type EventStatements, type IdMatchRow } from './sqlite-rows';

/** `actual` is the stream's last revision, `undefined` when the stream does not exist. */
function satisfies(expected: ExpectedRevision, actual: bigint | undefined): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === undefined;
    case 'stream_exists':
      return actual !== undefined;
    default:
      return actual === expected;
  }
}

function conflict(streamName: string, expected: ExpectedRevision, actual: bigint | undefined): ConcurrencyError {
  return new ConcurrencyError(streamName, String(expected), actual === undefined ? 'no_stream' : String(actual));
}

/**
 * Decides whether a batch whose ids already exist is a retry. As in EventStoreDB, a retry is the
 * same ids, in the same order, at consecutive revisions, placed right after the revision the
 * retry expects (or with `'any'` / `'stream_exists'`, anywhere). The type must match as well:
 * the same id with another type is a bug in the writer, not a retry.
 */
function originalResult(
  events: readonly EventData[],
  found: readonly (IdMatchRow | undefined)[],
  expected: ExpectedRevision,
): AppendResult | undefined {
  const first = found[0];
  if (!first) return undefined;
  const consecutive = found.every(
    (row, i) => row !== undefined && row.revision === first.revision + BigInt(i) && row.type === events[i].type,
  );
  if (!consecutive) return undefined;
  const placedAfter = first.revision - 1n;
  const placedAsExpected =
    expected === 'any' || expected === 'stream_exists' || (expected === 'no_stream' ? -1n : expected) === placedAfter;
  if (!placedAsExpected) return undefined;
  const last = found[found.length - 1] as IdMatchRow;
  return { nextExpectedRevision: last.revision, position: positionOf(last.seq) };
}

/**
 * One append, meant to run inside a `BEGIN IMMEDIATE` transaction: the write lock is taken before
 * the stream's revision is read, so the check and the insert cannot interleave with another
 * writer in any process. Throws `ConcurrencyError` only for a wrong expected revision.
 */
export function appendInTransaction(
  statements: EventStatements,
  streamName: string,
  events: readonly EventData[],
  expected: ExpectedRevision,
  now: number,
): AppendResult {
  const tip = statements.streamTip.get(streamName);
  const actual = tip?.revision;

  const seen = new Set<string>();
  for (const event of events) {
    if (seen.has(event.id)) throw new DuplicateEventIdError(streamName, event.id);
    seen.add(event.id);
  }
  const found = events.map((event) => statements.findId.get(streamName, event.id));
  const repeated = found.findIndex((row) => row !== undefined);
  if (repeated >= 0) {
    const original = originalResult(events, found, expected);
    if (original) return original;
    if (!satisfies(expected, actual)) throw conflict(streamName, expected, actual);
    throw new DuplicateEventIdError(streamName, events[repeated].id);
  }

  if (!satisfies(expected, actual)) throw conflict(streamName, expected, actual);
  if (events.length === 0) {
    return { nextExpectedRevision: actual ?? -1n, position: tip ? positionOf(tip.seq) : START_POSITION };
  }

  let revision = actual ?? -1n;
  let seq = -1n;
  for (const event of events) {
    revision += 1n;
    const data = JSON.stringify(event.data);
    const metadata = JSON.stringify(event.metadata ?? {});
    seq = BigInt(statements.insert.run(streamName, revision, event.id, event.type, data, metadata, now).lastInsertRowid);
  }
  return { nextExpectedRevision: revision, position: positionOf(seq) };
}
