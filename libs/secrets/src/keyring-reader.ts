import { findKey, keyringCodec, keyringDecider, keyringStream, PLATFORM_KEY_ID, type KeyringState } from '@cmk/domain';
import type { EventStore } from '@cmk/eventstore';
import { readState } from '@cmk/application';
import { providerRequestFor, type ProviderRequest } from '@cmk/key-providers';
import { LRUCache } from 'lru-cache';
import { secretsError } from './errors';

export interface KeyringReaderOptions {
  /**
   * `CMK_KEYRING_CACHE_TTL_MS`, default 5 000. How long a key ring read is reused to find the
   * role and key ARN of the key that wrapped a data key. Those ARNs never change once a key is
   * added, and a key the cached state does not know yet triggers a fresh read, so this only
   * saves event store reads on data key cache misses.
   */
  readonly ttlMs?: number;
  /** Organisations whose key ring is cached, default 10 000. */
  readonly max?: number;
}

/** Reads an organisation's key ring from the event store (the source of truth). */
export class KeyringReader {
  private readonly cache: LRUCache<string, KeyringState>;

  constructor(
    private readonly store: EventStore,
    options: KeyringReaderOptions = {},
  ) {
    this.cache = new LRUCache({ max: options.max ?? 10_000, ttl: options.ttlMs ?? 5_000 });
  }

  /** The current state, read now: issuing a data key must see the default as it is. */
  async fresh(orgId: string): Promise<KeyringState> {
    const { state } = await readState(this.store, keyringStream(orgId), keyringDecider, keyringCodec);
    this.cache.set(orgId, state);
    return state;
  }

  /** Which provider unwraps a data key wrapped by `wrappedBy` (any status: disabled keys still unwrap). */
  async providerRequest(orgId: string, wrappedBy: string): Promise<ProviderRequest> {
    if (wrappedBy === PLATFORM_KEY_ID) return { orgId, wrappedBy };
    const cached = this.cache.get(orgId);
    const state = cached && findKey(cached, wrappedBy) ? cached : await this.fresh(orgId);
    if (!findKey(state, wrappedBy)) throw secretsError('WRAPPING_KEY_UNAVAILABLE', `Key ${wrappedBy} is not on the key ring of ${orgId}`, { keyId: wrappedBy });
    return providerRequestFor(state, orgId, wrappedBy);
  }
}
