import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { REDIS } from '../tokens';

/** What a ticket opens: one org's re-encryption progress stream, for the token that asked. */
export interface StreamGrant {
  readonly orgId: string;
  readonly tokenId: string;
}

/** A ticket opens streams for a minute: long enough for EventSource reconnects, short if leaked. */
export const TICKET_TTL_SECONDS = 60;
const PURPOSE = 'reencryption-stream';

const keyOf = (ticket: string) => `cmk:stream-ticket:${createHash('sha256').update(ticket).digest('hex')}`;

/**
 * Browser EventSource cannot send `Authorization`, and an access token must never travel in a
 * URL (logs, history, referrers). So the console trades its token (in a header) for a ticket:
 * random, short-lived, stored only hashed in Redis (every api replica sees it), bound to the org
 * and the token id, and good for one purpose — opening this org's progress stream. The stream
 * re-checks the token on every poll, so revoking the token ends the stream within a second.
 */
@Injectable()
export class StreamTickets {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async issue(grant: StreamGrant): Promise<{ ticket: string; expiresAt: string }> {
    const ticket = randomBytes(32).toString('base64url');
    await this.redis.set(keyOf(ticket), JSON.stringify({ ...grant, purpose: PURPOSE }), 'EX', TICKET_TTL_SECONDS);
    return { ticket, expiresAt: new Date(Date.now() + TICKET_TTL_SECONDS * 1000).toISOString() };
  }

  /** The grant, when the ticket exists, has not expired, and was issued for `orgId`'s stream. */
  async redeem(ticket: string, orgId: string): Promise<StreamGrant | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(ticket)) return undefined;
    const stored = await this.redis.get(keyOf(ticket));
    if (!stored) return undefined;
    const grant = JSON.parse(stored) as { orgId?: unknown; tokenId?: unknown; purpose?: unknown };
    if (grant.purpose !== PURPOSE || grant.orgId !== orgId || typeof grant.tokenId !== 'string') return undefined;
    return { orgId, tokenId: grant.tokenId };
  }
}
