import { createHash } from 'node:crypto';
import { auditStream } from '@cmk/domain';
import { ConcurrencyError, comparePositions, parsePosition, type EventStore, type Position, type RecordedEvent } from '@cmk/eventstore';
import type { JWK } from 'jose';
import { toAuditEntry } from './audit-entry';
import { decodeAuditChainEvent, encodeAuditChainEvent, type AuditChainEvent } from './chain-events';
import { GENESIS_HASH, linkHash } from './chain-hash';
import { digestHash, signDigest, type DigestPayload, type DigestSigningKey } from './digest';

/** Where an org's chain stands, as its `audit-<org>` stream says. */
interface ChainHead {
  /** Revision of the last event in `audit-<org>`, `undefined` when the stream does not exist. */
  revision: bigint | undefined;
  seq: number;
  head: string;
  lastPosition: Position | undefined;
  lastDigest: { toSeq: number; hash: string } | undefined;
}

/** The current signing key and its public half (for the archive and the export). */
export interface DigestSigner {
  current(): Promise<DigestSigningKey & { readonly publicJwk: JWK }>;
}

/** Deterministic ids: two chainers racing on the same range write the same event id. */
function eventId(orgId: string, kind: string, seq: number): string {
  const hex = createHash('sha256').update(`${orgId}:${kind}:${seq}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * One org's chain: extends it with the org's next events and signs digests of it. Every write
 * uses the audit stream's expected revision, so chainers in several worker replicas never fork
 * the chain: the loser of a race re-reads the head and skips what the winner already linked.
 */
export class OrgChain {
  private state: ChainHead | undefined;

  constructor(
    readonly orgId: string,
    private readonly store: EventStore,
  ) {}

  /** Whether links exist that no digest covers yet. */
  async unsigned(): Promise<boolean> {
    const state = await this.load();
    return state.seq > (state.lastDigest?.toSeq ?? 0);
  }

  /** Links the events (in commit order) not yet in the chain; returns how many were linked. */
  async extend(events: readonly RecordedEvent[]): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const state = await this.load();
      const fresh = events.filter((e) => !state.lastPosition || comparePositions(e.position, state.lastPosition) > 0);
      if (fresh.length === 0) return 0;
      let { seq, head } = state;
      const fromSeq = seq + 1;
      const links = fresh.map((event) => {
        seq += 1;
        head = linkHash(seq, head, toAuditEntry(event));
        return { id: event.id, hash: head };
      });
      const last = fresh[fresh.length - 1];
      const chained: AuditChainEvent = {
        type: 'AuditEventsChained',
        data: {
          orgId: this.orgId,
          fromSeq,
          toSeq: seq,
          lastPosition: `${last.position.commit}/${last.position.prepare}`,
          lastOccurredAt: typeof last.metadata['occurredAt'] === 'string' ? last.metadata['occurredAt'] : null,
          links,
        },
      };
      try {
        await this.append(chained, eventId(this.orgId, 'chain', fromSeq));
        Object.assign(state, { seq, head, lastPosition: last.position });
        return fresh.length;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= 4) throw error;
        this.state = undefined;
      }
    }
  }

  /** Signs a digest of everything linked since the last digest; a no-op when nothing is new. */
  async sign(signer: DigestSigner, trigger: string, signedAt: Date): Promise<JWK | undefined> {
    for (let attempt = 0; ; attempt++) {
      const state = await this.load();
      const fromSeq = (state.lastDigest?.toSeq ?? 0) + 1;
      if (state.seq < fromSeq) return undefined;
      const key = await signer.current();
      const payload: DigestPayload = {
        typ: 'cmk-audit-digest/1',
        org: this.orgId,
        fromSeq,
        toSeq: state.seq,
        head: state.head,
        previousDigest: state.lastDigest?.hash ?? null,
        signedAt: signedAt.toISOString(),
        trigger,
      };
      const jws = await signDigest(payload, key);
      try {
        const data = { orgId: this.orgId, fromSeq, toSeq: state.seq, head: state.head, jws, kid: key.kid };
        await this.append({ type: 'AuditDigestSigned', data }, eventId(this.orgId, 'digest', state.seq));
        state.lastDigest = { toSeq: state.seq, hash: digestHash(jws) };
        return key.publicJwk;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= 4) throw error;
        this.state = undefined;
      }
    }
  }

  private async append(event: AuditChainEvent, id: string): Promise<void> {
    const state = await this.load();
    const { type, data } = encodeAuditChainEvent(event);
    const result = await this.store.appendToStream(auditStream(this.orgId), [{ id, type, data }], {
      expectedRevision: state.revision === undefined ? 'no_stream' : state.revision,
    });
    state.revision = result.nextExpectedRevision;
  }

  /** Reads the audit stream backwards until the last links and the last digest are known. */
  private async load(): Promise<ChainHead> {
    if (this.state) return this.state;
    const head: ChainHead = { revision: undefined, seq: 0, head: GENESIS_HASH, lastPosition: undefined, lastDigest: undefined };
    let from: bigint | 'end' = 'end';
    let chainFound = false;
    for (;;) {
      const page = await this.store.readStream(auditStream(this.orgId), { direction: 'backwards', fromRevision: from, maxCount: 64 });
      for (const recorded of page) {
        head.revision ??= recorded.revision;
        const event = decodeAuditChainEvent(recorded);
        if (event.type === 'AuditEventsChained' && !chainFound) {
          chainFound = true;
          const links = event.data.links;
          Object.assign(head, { seq: event.data.toSeq, head: links[links.length - 1].hash, lastPosition: parsePosition(event.data.lastPosition) });
        }
        if (event.type === 'AuditDigestSigned' && !head.lastDigest) head.lastDigest = { toSeq: event.data.toSeq, hash: digestHash(event.data.jws) };
      }
      const last = page[page.length - 1];
      if ((chainFound && head.lastDigest) || page.length < 64 || !last || last.revision === 0n) break;
      from = last.revision - 1n;
    }
    this.state = head;
    return head;
  }
}
