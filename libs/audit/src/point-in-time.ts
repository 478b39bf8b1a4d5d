import { dataKeyDecider, keyringStream, type DataKeyState } from '@cmk/domain';
import { parsePosition, type EventStore, type JsonObject, type RecordedEvent } from '@cmk/eventstore';
import { evolveKeyList, initialKeyListDoc, toProjectedEvent, type KeyListDoc } from '@cmk/read-models';
import type { AuditEntry } from './audit-entry';

/** How one data key was wrapped at an instant. */
export interface DataKeyAt {
  readonly dataKeyId: string;
  readonly scope: string;
  readonly wrappedBy: string;
  readonly kekRef: string;
}

/**
 * The org's state at an instant, folded with the product's own code: the same codecs and
 * key-list projection that build the live read model, and the data-key aggregate's `evolve`.
 * Not a second implementation, so "as it was then" and "as it is now" cannot disagree.
 * Events count when their `occurredAt` is at or before the instant.
 */
export class PointInTime {
  private keyList: KeyListDoc;
  private readonly dataKeys = new Map<string, DataKeyState>();

  constructor(
    readonly orgId: string,
    readonly at: Date,
  ) {
    this.keyList = initialKeyListDoc(orgId);
  }

  /** Applies a stored event (the api reads them from the store). */
  apply(recorded: RecordedEvent): void {
    const occurredAt = recorded.metadata['occurredAt'];
    if (typeof occurredAt !== 'string' || new Date(occurredAt) > this.at) return;
    const projected = toProjectedEvent(recorded);
    if (!projected || projected.orgId !== this.orgId) return;
    if (projected.category === 'keyring') this.keyList = evolveKeyList(this.keyList, projected.event);
    else this.dataKeys.set(projected.event.data.dataKeyId, dataKeyDecider.evolve(this.dataKeys.get(projected.event.data.dataKeyId) ?? dataKeyDecider.initialState(), projected.event));
  }

  /** Applies an exported entry: the same event, as the export wrote it (key material redacted). */
  applyEntry(entry: AuditEntry): void {
    const metadata: JsonObject = {};
    for (const field of ['actor', 'tokenId', 'requestId', 'correlationId', 'causationId', 'occurredAt'] as const) {
      const value = entry[field];
      if (value !== null) metadata[field] = value;
    }
    this.apply({
      streamId: entry.stream,
      id: entry.id,
      type: entry.type,
      revision: BigInt(entry.revision),
      position: parsePosition(entry.position),
      data: entry.data,
      metadata,
      created: new Date(0),
    });
  }

  keys(): KeyListDoc {
    return this.keyList;
  }

  wrappings(): DataKeyAt[] {
    const out: DataKeyAt[] = [];
    for (const state of this.dataKeys.values()) {
      if (state.status === 'issued') out.push({ dataKeyId: state.dataKeyId, scope: state.scope, wrappedBy: state.wrappedBy, kekRef: state.kekRef });
    }
    return out.sort((a, b) => a.dataKeyId.localeCompare(b.dataKeyId));
  }
}

/** The key list of `orgId` as it was at `at`, from the key ring's stream. */
export async function keyringAt(store: EventStore, orgId: string, at: Date): Promise<KeyListDoc> {
  const pit = new PointInTime(orgId, at);
  for (const recorded of await store.readStream(keyringStream(orgId))) pit.apply(recorded);
  return pit.keys();
}
