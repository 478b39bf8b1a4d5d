import { type AppendResult, type ExpectedRevision, ConcurrencyError, DuplicateEventIdError, START_POSITION } from '@cmk/eventstore/port';
import type { PendingAppend } from './pg-group-commit';
import { positionOf } from './pg-rows';

/** One row of `cmk_append`'s result, as text (see `APPEND_FUNCTION`). */
export interface AppendRow {
  readonly outcome: 'ok' | 'conflict' | 'duplicate';
  readonly last_revision: string | null;
  readonly last_seq: string | null;
  readonly detail: string | null;
}

/** The expectation as `cmk_append` reads it: a keyword or the decimal revision. */
export function expectedText(expected: ExpectedRevision | undefined): string {
  return typeof expected === 'bigint' ? expected.toString() : (expected ?? 'any');
}

/** An id repeated inside one batch is a bug in the writer, refused before any I/O (as in SQLite). */
export function repeatedIdIn(append: PendingAppend): string | undefined {
  const seen = new Set<string>();
  for (const event of append.events) {
    if (seen.has(event.id)) return event.id;
    seen.add(event.id);
  }
  return undefined;
}

/** `cmk_append`'s seven array parameters for a group. */
export function appendParameters(group: readonly PendingAppend[]): unknown[] {
  const events = group.flatMap((append) => append.events);
  return [
    group.map((append) => append.stream),
    group.map((append) => expectedText(append.options.expectedRevision)),
    group.map((append) => append.events.length),
    events.map((event) => event.id),
    events.map((event) => event.type),
    events.map((event) => JSON.stringify(event.data)),
    events.map((event) => JSON.stringify(event.metadata ?? {})),
  ];
}

/** Turns one result row into the port's result or error for that append. */
export function outcomeOf(append: PendingAppend, row: AppendRow | undefined): AppendResult | Error {
  const expected = expectedText(append.options.expectedRevision);
  if (!row) return new Error(`cmk_append returned no outcome for an append to ${append.stream}`);
  switch (row.outcome) {
    case 'ok':
      return {
        nextExpectedRevision: BigInt(row.last_revision ?? '-1'),
        position: row.last_seq === null ? START_POSITION : positionOf(BigInt(row.last_seq)),
      };
    case 'conflict':
      return new ConcurrencyError(append.stream, expected, row.last_revision ?? 'no_stream');
    case 'duplicate':
      return new DuplicateEventIdError(append.stream, row.detail ?? '');
    default: {
      const unknown: never = row.outcome;
      return new Error(`cmk_append returned an unknown outcome ${String(unknown)}`);
    }
  }
}
