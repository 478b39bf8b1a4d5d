import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { initialOrgState, orgCodec, orgDecider, orgStream, type OrgState } from '@cmk/domain';
import { EVENT_STORE, type EventStore } from '@cmk/eventstore';
import { readState } from '@cmk/application';

/**
 * Reads organisations (edition, tokens) from their streams, the source of truth, with a short
 * cache so an authenticated request does not re-read the stream every time. The cache TTL is
 * the longest a revoked token or an edition change can take to be seen by one api replica.
 */
@Injectable()
export class OrgDirectory {
  /** One second: revocation latency per replica. */
  static readonly TTL_MS = 1_000;
  private readonly cache = new LRUCache<string, OrgState>({ max: 10_000, ttl: OrgDirectory.TTL_MS });

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async get(orgId: string): Promise<OrgState> {
    const cached = this.cache.get(orgId);
    if (cached) return cached;
    const state = await this.read(orgId);
    if (state.status === 'registered') this.cache.set(orgId, state);
    return state;
  }

  /** The cached state when there is one (no read, no promise): the guard's fast path. */
  cached(orgId: string): OrgState | undefined {
    return this.cache.get(orgId);
  }

  /** Reads the stream without the cache (command handlers that must see the latest state). */
  async read(orgId: string): Promise<OrgState> {
    let stream: string;
    try {
      stream = orgStream(orgId);
    } catch {
      return initialOrgState();
    }
    return (await readState(this.store, stream, orgDecider, orgCodec)).state;
  }

  invalidate(orgId: string): void {
    this.cache.delete(orgId);
  }
}
