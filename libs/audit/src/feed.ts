import { ApplicationError } from '@cmk/application';
import { parsePosition, type EventStore, type Position } from '@cmk/eventstore';
import { toAuditEntry, type AuditEntry } from './audit-entry';
import { orgEvents } from './org-events';

export const FEED_MAX_PAGE = 500;
/** At most this many log events are looked at per request, so a sparse filter cannot pin a replica. */
export const FEED_SCAN_BUDGET = 20_000;

export interface FeedQuery {
  /** Cursor from the previous page (`nextCursor`); exclusive. */
  readonly after?: string;
  readonly limit?: string;
  /** Comma-separated event types. */
  readonly type?: string;
  /** Exact actor, e.g. `user:alice`, `operator`, `system`. */
  readonly actor?: string;
  /** RFC 3339 bounds on `occurredAt`, inclusive. */
  readonly from?: string;
  readonly to?: string;
}

export interface FeedPage {
  readonly events: AuditEntry[];
  /** Pass as `after` for the next page; `null` when the end of the log was reached. */
  readonly nextCursor: string | null;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

const invalid = (field: string, message: string) =>
  new ApplicationError('VALIDATION_FAILED', 400, `${field} ${message}`, { fields: { [field]: [message] } });

/** Parses an RFC 3339 timestamp or answers 400 naming the field. */
export function parseInstant(field: string, raw: string): Date {
  const value = new Date(raw);
  if (!RFC3339.test(raw) || Number.isNaN(value.getTime())) throw invalid(field, 'must be an RFC 3339 time, e.g. 2026-01-31T12:00:00Z');
  return value;
}

/**
 * One page of the org's audit feed: every event about the org in commit order, filtered, with a
 * stable cursor (the global position of the last event looked at; positions never change).
 */
export async function readFeed(store: EventStore, orgId: string, query: FeedQuery): Promise<FeedPage> {
  let after: Position | undefined;
  if (query.after) {
    try {
      after = parsePosition(query.after);
    } catch {
      throw invalid('after', 'must be a cursor returned as nextCursor');
    }
  }
  const limit = query.limit === undefined || query.limit === '' ? 100 : Number(query.limit);
  if (!/^\d+$/.test(query.limit ?? '100') || limit < 1 || limit > FEED_MAX_PAGE) throw invalid('limit', `must be a whole number from 1 to ${FEED_MAX_PAGE}`);
  const types = query.type ? query.type.split(',') : undefined;
  if (types?.some((t) => !/^[A-Za-z][A-Za-z0-9]{0,63}$/.test(t))) throw invalid('type', 'must be comma-separated event type names');
  if (query.actor !== undefined && (query.actor.length === 0 || query.actor.length > 200)) throw invalid('actor', 'must be 1-200 characters');
  const from = query.from ? parseInstant('from', query.from) : undefined;
  const to = query.to ? parseInstant('to', query.to) : undefined;

  const events: AuditEntry[] = [];
  let lastScanned: Position | undefined;
  let scanned = 0;
  for await (const event of orgEvents(store, orgId, { after, scanLimit: FEED_SCAN_BUDGET, onScanned: (p) => ((lastScanned = p), (scanned += 1)) })) {
    const entry = toAuditEntry(event);
    const at = entry.occurredAt ? new Date(entry.occurredAt) : undefined;
    if (types && !types.includes(entry.type)) continue;
    if (query.actor !== undefined && entry.actor !== query.actor) continue;
    if (from && (!at || at < from)) continue;
    if (to && (!at || at > to)) continue;
    events.push(entry);
    if (events.length === limit) return { events, nextCursor: entry.position };
  }
  const budgetSpent = scanned >= FEED_SCAN_BUDGET;
  return { events, nextCursor: budgetSpent && lastScanned ? `${lastScanned.commit}/${lastScanned.prepare}` : null };
}
