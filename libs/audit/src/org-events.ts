import { comparePositions, type EventStore, type Position, type RecordedEvent } from '@cmk/eventstore';
import { auditOrgOf } from './audit-entry';

export interface OrgEventsOptions {
  /** Exclusive start. Default: the beginning of the log. */
  readonly after?: Position;
  readonly pageSize?: number;
  /** Stop after this many events of the log were looked at (bounds one api request's work). */
  readonly scanLimit?: number;
  /** Called with every position looked at, so a caller can resume after it. */
  readonly onScanned?: (position: Position) => void;
}

/**
 * The org's audit events in commit order, read from the global log page by page (constant
 * memory whatever the history's length).
 */
export async function* orgEvents(store: EventStore, orgId: string, options: OrgEventsOptions = {}): AsyncGenerator<RecordedEvent> {
  // Small pages: the log also holds the chain's own records (~100 KB each, consecutive at the
  // log's end after a bulk of rewraps), which are read here only to be skipped.
  const pageSize = options.pageSize ?? 64;
  let exclusive = options.after;
  let scanned = 0;
  for (;;) {
    // readAll is inclusive: each page after the first starts at the last event seen and skips
    // it, so it asks for one more (a page of 1 would otherwise only ever re-read that event).
    const asked = exclusive ? pageSize + 1 : pageSize;
    const page = await store.readAll({ fromPosition: exclusive ?? 'start', maxCount: asked });
    let progressed = false;
    for (const event of page) {
      if (exclusive && comparePositions(event.position, exclusive) <= 0) continue;
      exclusive = event.position;
      progressed = true;
      scanned += 1;
      options.onScanned?.(event.position);
      if (auditOrgOf(event) === orgId) yield event;
      if (options.scanLimit !== undefined && scanned >= options.scanLimit) return;
    }
    if (page.length < asked || !progressed) return;
  }
}
