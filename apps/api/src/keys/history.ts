import { Inject, Injectable } from '@nestjs/common';
import { decodeKeyringEvent, keyringStream } from '@cmk/domain';
import { EVENT_STORE, type EventStore } from '@cmk/eventstore';
import { ApplicationError } from '@cmk/application';

/** One entry of the key ring's audit trail, straight from the event store. */
export interface HistoryEntry {
  readonly revision: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly actor: string;
  readonly tokenId: string | null;
  readonly requestId: string;
  readonly correlationId: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export const HISTORY_MAX_PAGE = 500;

/**
 * The audit trail of an org's key ring: every key added, default changed, key disabled and
 * re-encryption run, with who did it (actor and token id), when, and under which request. Read
 * from the event store itself (the source of truth, not a projection), decoded through the
 * domain codec, paged by stream revision.
 */
@Injectable()
export class KeyringHistory {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async page(orgId: string, fromRevision: string | undefined, limit: string | undefined): Promise<{ events: HistoryEntry[]; nextRevision: string | null }> {
    const from = parseBound('from', fromRevision, 0, Number.MAX_SAFE_INTEGER, 0);
    const max = parseBound('limit', limit, 1, HISTORY_MAX_PAGE, 100);
    const recorded = await this.store.readStream(keyringStream(orgId), { fromRevision: BigInt(from), maxCount: max + 1 });
    const events = recorded.slice(0, max).map((event) => {
      const decoded = decodeKeyringEvent(event);
      const { metadata } = decoded;
      return {
        revision: event.revision.toString(),
        type: decoded.type,
        occurredAt: metadata.occurredAt,
        actor: metadata.actor,
        tokenId: metadata.tokenId ?? null,
        requestId: metadata.requestId,
        correlationId: metadata.correlationId,
        data: decoded.data,
      };
    });
    return { events, nextRevision: recorded.length > max ? recorded[max].revision.toString() : null };
  }
}

function parseBound(name: string, raw: string | undefined, min: number, max: number, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ApplicationError('VALIDATION_FAILED', 400, `${name} must be a whole number from ${min} to ${max}`, { fields: { [name]: [`must be ${min}-${max}`] } });
  }
  return value;
}
