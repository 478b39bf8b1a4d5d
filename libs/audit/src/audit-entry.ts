import { createHash } from 'node:crypto';
import { STREAM_PREFIX } from '@cmk/domain';
import { NEEDS_LIBRARY, sortedCopy } from './chain-hash';
import { formatPosition, type JsonObject, type JsonValue, type RecordedEvent } from '@cmk/eventstore';

/**
 * One event of an org's audit feed, as the api pages it, the export writes it and the chain
 * hashes it. Generic over event types: every event whose `data.orgId` names the org is in the
 * feed, whatever its stream or type, so event types added later appear without changes here.
 */
export interface AuditEntry {
  /** Global commit position, `"<commit>/<prepare>"`: the order of the feed. */
  readonly position: string;
  readonly stream: string;
  readonly revision: string;
  readonly id: string;
  readonly type: string;
  readonly occurredAt: string | null;
  readonly actor: string | null;
  readonly tokenId: string | null;
  readonly requestId: string | null;
  readonly correlationId: string | null;
  readonly causationId: string | null;
  readonly data: JsonObject;
}

/**
 * Fields that hold secrets or key material: token digests, wrapped data keys, wrapped webhook
 * signing secrets. They never leave the service; the feed carries `sha256:<hex>` of the value instead, so the chain still
 * commits to them (altering a wrapped key in the store is detected) without revealing them.
 */
export const REDACTED_FIELDS: readonly string[] = ['sha256', 'wrapped', 'secret', 'plaintext', 'token', 'privateKey'];

export const REDACTED_PREFIX = 'redacted:sha256:';

/** Streams never in the feed: deployment facts and the chain's own stream. */
const EXCLUDED_PREFIXES = [STREAM_PREFIX.meta, STREAM_PREFIX.audit, '$'];

/** The org an event belongs to for auditing, or `undefined` when it is not an org's event. */
export function auditOrgOf(event: Pick<RecordedEvent, 'streamId' | 'data'>): string | undefined {
  if (EXCLUDED_PREFIXES.some((prefix) => event.streamId.startsWith(prefix))) return undefined;
  const orgId = event.data['orgId'];
  return typeof orgId === 'string' ? orgId : undefined;
}

export function redact(data: JsonObject): JsonObject {
  let out: JsonObject | undefined;
  for (const field of REDACTED_FIELDS) {
    const value = data[field];
    if (value === undefined) continue;
    out ??= { ...data };
    out[field] = REDACTED_PREFIX + createHash('sha256').update(JSON.stringify(value)).digest('hex');
  }
  return out ?? data;
}

const text = (value: JsonValue | undefined): string | null => (typeof value === 'string' ? value : null);

/** Keys in RFC 8785 order, so the chain's canonical form of an entry needs no re-sorting. */
export function toAuditEntry(event: RecordedEvent): AuditEntry {
  const m = event.metadata;
  const data = redact(event.data);
  const sorted = sortedCopy(data);
  return {
    actor: text(m['actor']),
    causationId: text(m['causationId']),
    correlationId: text(m['correlationId']),
    data: sorted === NEEDS_LIBRARY ? data : (sorted as JsonObject),
    id: event.id,
    occurredAt: text(m['occurredAt']),
    position: formatPosition(event.position),
    requestId: text(m['requestId']),
    revision: event.revision.toString(),
    stream: event.streamId,
    tokenId: text(m['tokenId']),
    type: event.type,
  };
}
