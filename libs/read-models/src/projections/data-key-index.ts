import type { DataKeyEvent } from '@cmk/domain';
import { unreachable } from './unreachable';

/**
 * The data-key index: for each org and wrapping key (`platform` or a CMK id), the data keys it
 * currently wraps. In Redis each (org, wrapping key) is a sorted set scored by the commit position
 * of the event that put the data key there, which is what makes paging stable during a
 * re-encryption: keys only ever leave a source set, and keys entering a set land after every
 * cursor already handed out.
 *
 * The projection itself is pure: an event becomes a list of set changes. The Redis adapter
 * executes them; `applyIndexChanges` executes them in memory (specs, and the reference the
 * integration tests compare Redis against).
 */
export type IndexChange =
  | { readonly op: 'add'; readonly orgId: string; readonly wrappingKeyId: string; readonly dataKeyId: string; readonly score: number }
  | { readonly op: 'remove'; readonly orgId: string; readonly wrappingKeyId: string; readonly dataKeyId: string };

/**
 * `score` is a monotonic number for the event: the runner passes its commit position (exact up to
 * 2^53; ties are harmless because paging breaks them by data key id).
 */
export function dataKeyIndexChanges(event: DataKeyEvent, score: number): IndexChange[] {
  const { orgId, dataKeyId } = event.data;
  switch (event.type) {
    case 'DataKeyIssued':
      return [{ op: 'add', orgId, wrappingKeyId: event.data.wrappedBy, dataKeyId, score }];
    case 'DataKeyRewrapped':
      return [
        { op: 'remove', orgId, wrappingKeyId: event.data.from, dataKeyId },
        { op: 'add', orgId, wrappingKeyId: event.data.to, dataKeyId, score },
      ];
    case 'DataKeyUseReserved':
      return [];
    default:
      return unreachable(event);
  }
}

/** In-memory form of the index of one org: wrapping key id → data key id → score. */
export type DataKeyIndexState = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** Pure fold of changes for one org, mirroring ZADD / ZREM (a wrapping key seen once stays listed). */
export function applyIndexChanges(state: DataKeyIndexState, changes: readonly IndexChange[]): DataKeyIndexState {
  const next: Record<string, Record<string, number>> = { ...state };
  for (const change of changes) {
    if (change.op === 'remove' && !next[change.wrappingKeyId]) continue;
    const members = { ...(next[change.wrappingKeyId] ?? {}) };
    if (change.op === 'add') members[change.dataKeyId] = change.score;
    else delete members[change.dataKeyId];
    next[change.wrappingKeyId] = members;
  }
  return next;
}

/** Number of data keys under each wrapping key, as `countsByWrappingKey` reports it. */
export function countsOf(state: DataKeyIndexState): Record<string, number> {
  return Object.fromEntries(Object.entries(state).map(([wrappingKeyId, members]) => [wrappingKeyId, Object.keys(members).length]));
}
