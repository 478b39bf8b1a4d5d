import { LRUCache } from 'lru-cache';

/** A plaintext data key in memory, with what every value sealed under it is bound to. */
export class CachedDataKey {
  private zeroed = false;

  constructor(
    readonly orgId: string,
    readonly dataKeyId: string,
    readonly scope: string,
    /** The 32 plaintext bytes. Read only in synchronous code right after {@link usable} was checked. */
    readonly key: Buffer,
    /** Precomputed additional data (see `envelopeAad`), so the hot path allocates nothing for it. */
    readonly aad: Buffer,
  ) {}

  /** False once evicted: the bytes are zeros from then on and must not be used. */
  get usable(): boolean {
    return !this.zeroed;
  }

  zero(): void {
    this.zeroed = true;
    this.key.fill(0);
  }
}

export interface DataKeyCacheOptions {
  /**
   * `CMK_DATA_KEY_CACHE_TTL_MS`, default 300 000 (5 minutes). How long an unwrapped data key is
   * used without asking its KMS again; it is also the revocation latency: after a customer
   * disables their key or revokes our role, encryption and decryption under it keep working for
   * at most this long in each process. The age is not refreshed by use.
   */
  readonly ttlMs?: number;
  /** `CMK_DATA_KEY_CACHE_MAX`, default 10 000 data keys per process (about 1 KiB each with the LRU's bookkeeping). */
  readonly max?: number;
}

export const DEFAULT_DATA_KEY_CACHE_TTL_MS = 300_000;
export const DEFAULT_DATA_KEY_CACHE_MAX = 10_000;

/**
 * The bounded in-memory cache of plaintext data keys (the only place they live). Entries leave
 * by LRU eviction, by TTL (purged on a timer, so an idle key does not linger) or by `clear()`,
 * and each departure zeroes the key bytes. Because an evicted entry is zeroed, a holder checks
 * `usable` after its last `await` and before using the bytes (see `SecretsService`).
 */
export class DataKeyCache {
  private readonly lru: LRUCache<string, CachedDataKey>;
  /** Lookups answered from memory / that had to unwrap with a KMS (for the hit ratio on `/metrics`). */
  hits = 0;
  misses = 0;

  constructor(options: DataKeyCacheOptions = {}) {
    this.lru = new LRUCache<string, CachedDataKey>({
      max: options.max ?? DEFAULT_DATA_KEY_CACHE_MAX,
      ttl: options.ttlMs ?? DEFAULT_DATA_KEY_CACHE_TTL_MS,
      ttlAutopurge: true,
      updateAgeOnGet: false,
      // Also on replacement: a holder of the old entry sees `usable === false` and looks again.
      dispose: (value) => value.zero(),
    });
  }

  get(dataKeyId: string): CachedDataKey | undefined {
    const entry = this.lru.get(dataKeyId);
    if (entry?.usable) {
      this.hits++;
      return entry;
    }
    this.misses++;
    return undefined;
  }

  set(entry: CachedDataKey): void {
    this.lru.set(entry.dataKeyId, entry);
  }

  get size(): number {
    return this.lru.size;
  }

  /** Zeroes and drops every key (shutdown, tests, an operator's "forget keys now"). */
  clear(): void {
    this.lru.clear();
  }
}
