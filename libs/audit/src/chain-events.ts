import { FieldReader, EventDecodingError, type RawEvent } from '@cmk/domain';
import type { JsonObject } from '@cmk/eventstore';

/**
 * The events of `audit-<orgId>`: the chain itself, appended by the chainer after the events it
 * covers. They are facts about the feed, not about the org, so they are never in the feed.
 */

/** One link per event, in feed order: the event's id and its link hash. */
export interface ChainLink {
  readonly id: string;
  readonly hash: string;
}

/** Links `fromSeq..toSeq`; `lastPosition` is the position of the event at `toSeq`. */
export interface AuditEventsChained {
  readonly type: 'AuditEventsChained';
  readonly data: {
    readonly orgId: string;
    readonly fromSeq: number;
    readonly toSeq: number;
    readonly lastPosition: string;
    readonly lastOccurredAt: string | null;
    readonly links: readonly ChainLink[];
  };
}

/** A signed digest (compact JWS) of the chain through `toSeq`, with the public key that signed it. */
export interface AuditDigestSigned {
  readonly type: 'AuditDigestSigned';
  readonly data: {
    readonly orgId: string;
    readonly fromSeq: number;
    readonly toSeq: number;
    readonly head: string;
    readonly jws: string;
    readonly kid: string;
  };
}

export type AuditChainEvent = AuditEventsChained | AuditDigestSigned;

export function decodeAuditChainEvent(raw: RawEvent): AuditChainEvent {
  const d: FieldReader = FieldReader.of(raw.data, raw.type, 'data');
  const orgId = d.string('orgId');
  const fromSeq = d.count('fromSeq');
  const toSeq = d.count('toSeq');
  switch (raw.type) {
    case 'AuditEventsChained': {
      const data = raw.data as Record<string, unknown>;
      const links = data['links'];
      if (!Array.isArray(links) || links.length !== toSeq - fromSeq + 1) d.fail('links', 'expected one link per seq');
      const parsed = links.map((link: unknown, i) => {
        const l = FieldReader.of(link, raw.type, `data.links[${i}]`);
        return { id: l.string('id'), hash: l.string('hash') };
      });
      const lastOccurredAt = data['lastOccurredAt'];
      return {
        type: 'AuditEventsChained',
        data: { orgId, fromSeq, toSeq, lastPosition: d.string('lastPosition'), lastOccurredAt: typeof lastOccurredAt === 'string' ? lastOccurredAt : null, links: parsed },
      };
    }
    case 'AuditDigestSigned':
      return { type: 'AuditDigestSigned', data: { orgId, fromSeq, toSeq, head: d.string('head'), jws: d.string('jws'), kid: d.string('kid') } };
    default:
      throw new EventDecodingError(raw.type, 'type', 'not an audit chain event');
  }
}

export function encodeAuditChainEvent(event: AuditChainEvent): { type: string; data: JsonObject } {
  return { type: event.type, data: JSON.parse(JSON.stringify(event.data)) as JsonObject };
}
