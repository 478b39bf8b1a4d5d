import { auditStream } from '@cmk/domain';
import { parsePosition, type EventStore, type Position, type RecordedEvent } from '@cmk/eventstore';
import type { JWK } from 'jose';
import { toAuditEntry, type AuditEntry } from './audit-entry';
import { decodeAuditChainEvent, type AuditEventsChained } from './chain-events';
import { orgEvents } from './org-events';

export const EXPORT_FORMAT = 'cmk-audit-export/1';

/** The lines of an export (JSON Lines), in this order: header, keys, then events and chain records. */
export type ExportLine =
  | { readonly kind: 'header'; readonly format: typeof EXPORT_FORMAT; readonly org: string; readonly exportedAt: string; readonly since: string | null }
  | { readonly kind: 'keys'; readonly keys: readonly JWK[] }
  /** With `--since`: the chain's link just before the first exported event. */
  | { readonly kind: 'anchor'; readonly seq: number; readonly hash: string }
  | ({ readonly kind: 'event' } & AuditEntry)
  | ({ readonly kind: 'links' } & Pick<AuditEventsChained['data'], 'fromSeq' | 'toSeq' | 'links'>)
  | { readonly kind: 'digest'; readonly fromSeq: number; readonly toSeq: number; readonly head: string; readonly jws: string; readonly kid: string }
  | { readonly kind: 'end'; readonly events: number; readonly chainedThrough: number; readonly signedThrough: number };

export interface ExportOptions {
  /** Only from the first chain batch that reaches this time (the chain is anchored just before it). */
  readonly since?: Date;
  /** Public keys that verify the digests: every key ever used for one, embedded in the export. */
  readonly keys: readonly JWK[];
  readonly now?: () => Date;
}

/**
 * Streams an org's audit export: every audit event in commit order, each chain batch right
 * after the events it links (by count, so a removed or inserted event shows up as a misaligned
 * batch rather than being hidden), and each digest after the batch it signs. Events are read
 * from the log itself, not from the chain, so tampering in the store is what `verify` sees.
 * Constant memory: both sources are read page by page.
 */
export async function* exportAudit(store: EventStore, orgId: string, options: ExportOptions): AsyncGenerator<ExportLine> {
  const since = options.since;
  yield { kind: 'header', format: EXPORT_FORMAT, org: orgId, exportedAt: (options.now?.() ?? new Date()).toISOString(), since: since?.toISOString() ?? null };
  yield { kind: 'keys', keys: options.keys };
  let started = since === undefined;
  let emitted = 0;
  let events: AsyncGenerator<RecordedEvent> = orgEvents(store, orgId);
  let previous: AuditEventsChained | undefined;
  let chainedThrough = 0;
  let signedThrough = 0;
  let count = 0;
  const start = (after: Position | undefined) => {
    started = true;
    events = orgEvents(store, orgId, { after });
  };
  for await (const record of chainRecords(store, orgId)) {
    if (!started) {
      const beforeSince = record.type === 'AuditEventsChained' && record.data.lastOccurredAt !== null && since && new Date(record.data.lastOccurredAt) < since;
      if (beforeSince) {
        previous = record;
        continue;
      }
      if (record.type === 'AuditDigestSigned' && (!previous || record.data.toSeq <= previous.data.toSeq)) continue;
      if (previous) {
        const links = previous.data.links;
        yield { kind: 'anchor', seq: previous.data.toSeq, hash: links[links.length - 1].hash };
        emitted = previous.data.toSeq;
      }
      start(previous ? parsePosition(previous.data.lastPosition) : undefined);
    }
    if (record.type === 'AuditEventsChained') {
      while (emitted < record.data.toSeq) {
        const next = await events.next();
        if (next.done) break;
        emitted += 1;
        count += 1;
        yield { ...toAuditEntry(next.value), kind: 'event' };
      }
      const { fromSeq, toSeq, links } = record.data;
      chainedThrough = toSeq;
      yield { kind: 'links', fromSeq, toSeq, links };
    } else {
      const { fromSeq, toSeq, head, jws, kid } = record.data;
      signedThrough = toSeq;
      yield { kind: 'digest', fromSeq, toSeq, head, jws, kid };
    }
  }
  if (!started) {
    if (previous) {
      const links = previous.data.links;
      yield { kind: 'anchor', seq: previous.data.toSeq, hash: links[links.length - 1].hash };
    }
    start(previous ? parsePosition(previous.data.lastPosition) : undefined);
  }
  // Events not linked yet (the chainer runs just behind the log): exported, reported as unchained.
  for await (const event of events) {
    count += 1;
    yield { ...toAuditEntry(event), kind: 'event' };
  }
  yield { kind: 'end', events: count, chainedThrough, signedThrough };
}

/** A chain record holds up to a thousand links or more: read a few at a time. */
const CHAIN_PAGE = 8;

async function* chainRecords(store: EventStore, orgId: string) {
  let from = 0n;
  for (;;) {
    const page = await store.readStream(auditStream(orgId), { fromRevision: from, maxCount: CHAIN_PAGE });
    for (const recorded of page) yield decodeAuditChainEvent(recorded);
    if (page.length < CHAIN_PAGE) return;
    from = page[page.length - 1].revision + 1n;
  }
}
