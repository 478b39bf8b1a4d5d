import { LRUCache } from 'lru-cache';

/**
 * What this process reserved under one data key and has not used yet (no key material). It
 * outlives the cached key itself (the service keeps it by data key id), so a key that expires
 * from the cache and is unwrapped again goes on with what was already reserved.
 */
export class UseCounter {
  /** Encryptions reserved in the event store and not used yet. */
  remaining = 0;
  /** The next reservation's size: starts small and doubles, so an idle key wastes little. */
  nextBlock = 0;
  /** A reservation in flight, shared by the requests waiting for it. */
  refilling: Promise<void> | undefined;
  /** The store refused a reservation: the key has reached its use limit and only decrypts. */
  spent = false;
}

/** A plaintext data key in memory, with what every value sealed under it is bound to. */
export class CachedDataKey {
  private zeroed = false;
  /** Uses this process may still make (replaced by the service's long-lived counter of this data key). */
  uses = new UseCounter();

  constructor(
    readonly orgId: string,
    readonly dataKeyId: string,
    readonly scope: string,
    /** The 32 plaintext bytes. Read only in synchronous code right after {@link usable} was checked. */
    readonly key: Buffer,
    /** Precomputed additional data (see `envelopeAad`), so the hot path allocates nothing for it. */
    readonly aad: Buffer,
    /** Generation within (org, scope). */
    readonly generation = 0,
    /** Epoch ms from which the key no longer encrypts (its age limit); decrypting is unaffected. */
    readonly retiresAtMs = Number.POSITIVE_INFINITY,
  ) {}

  /** False once evicted: the bytes are zeros from then on and must not be used. */
  get usable(): boolean {
    return !this.zeroed;
  }

  /**
   * Takes `count` reserved encryptions, or answers false (reserve more, or the key is too old):
   * the hot path's whole cost of counting, no I/O and no allocation.
   */
  take(count: number, nowMs: number): boolean {
    const uses = this.uses;
    if (nowMs >= this.retiresAtMs || uses.remaining < count) return false;
    uses.remaining -= count;
    return true;
  }

  /** Adds encryptions just reserved in the event store. */
  grant(count: number): void {
    this.uses.remaining += count;
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
  /** `CMK_DATA_KEY_CACHE_MAX_PER_ORG`, default 1 000 (capped at `max`): the most one org's keys may take. */
  readonly maxPerOrg?: number;
}

export const DEFAULT_DATA_KEY_CACHE_TTL_MS = 300_000;
export const DEFAULT_DATA_KEY_CACHE_MAX = 10_000;
export const DEFAULT_DATA_KEY_CACHE_MAX_PER_ORG = 1_000;

/** One org's part of the cache: its keys by id, and the key each scope encrypts with now. */
class OrgShare {
  readonly keys: LRUCache<string, CachedDataKey>;
  readonly encrypting = new Map<string, CachedDataKey>();

  constructor(max: number, ttl: number) {
    this.keys = new LRUCache<string, CachedDataKey>({
      max,
      ttl,
      ttlAutopurge: true,
      updateAgeOnGet: false,
      // Also on replacement: a holder of the old entry sees `usable === false` and looks again.
      dispose: (value) => {
        value.zero();
        if (this.encrypting.get(value.scope) === value) this.encrypting.delete(value.scope);
      },
    });
  }
}

/**
 * The bounded in-memory cache of plaintext data keys (the only place they live), shared fairly
 * between orgs: each org has its own LRU of at most `maxPerOrg` keys, and when all orgs together
 * hold `max`, the key that leaves is the least recently used one of the org holding the most.
 * So an org churning through scopes only ever evicts its own keys, unless another org holds
 * more than it does. Lookups go through the org first: another org's key is not reachable, not
 * even as a timing difference. Entries leave by eviction, by TTL (purged on a timer) or by
 * `clear()`, and each departure zeroes the key bytes; a holder checks `usable` after its last
 * `await` and before using the bytes (see `SecretsService`).
 */
export class DataKeyCache {
  private readonly shares = new Map<string, OrgShare>();
  private readonly max: number;
  private readonly maxPerOrg: number;
  private readonly ttl: number;
  /** Lookups answered from memory / that had to unwrap with a KMS (for the hit ratio on `/metrics`). */
  hits = 0;
  misses = 0;

  constructor(options: DataKeyCacheOptions = {}) {
    this.max = options.max ?? DEFAULT_DATA_KEY_CACHE_MAX;
    this.maxPerOrg = Math.min(this.max, options.maxPerOrg ?? DEFAULT_DATA_KEY_CACHE_MAX_PER_ORG);
    this.ttl = options.ttlMs ?? DEFAULT_DATA_KEY_CACHE_TTL_MS;
  }

  /** The cached data key `dataKeyId` of `orgId` (decrypting). */
  get(orgId: string, dataKeyId: string): CachedDataKey | undefined {
    const entry = this.shares.get(orgId)?.keys.get(dataKeyId);
    return this.count(entry?.usable ? entry : undefined);
  }

  /** The data key `scope` of `orgId` encrypts with now, when cached (encrypting). */
  encryptingKey(orgId: string, scope: string): CachedDataKey | undefined {
    const entry = this.shares.get(orgId)?.encrypting.get(scope);
    return this.count(entry?.usable ? entry : undefined);
  }

  /** Caches `entry`; `encrypting` also makes it its scope's key for new secrets. */
  set(entry: CachedDataKey, encrypting = false): void {
    let share = this.shares.get(entry.orgId);
    if (!share) {
      share = new OrgShare(this.maxPerOrg, this.ttl);
      this.shares.set(entry.orgId, share);
    }
    if (!share.keys.has(entry.dataKeyId) && share.keys.size < this.maxPerOrg) this.makeRoom(share);
    share.keys.set(entry.dataKeyId, entry);
    if (encrypting) share.encrypting.set(entry.scope, entry);
  }

  /** `entry` no longer encrypts (too old or spent); it stays cached for decrypting. */
  retire(entry: CachedDataKey): void {
    const share = this.shares.get(entry.orgId);
    if (share?.encrypting.get(entry.scope) === entry) share.encrypting.delete(entry.scope);
  }

  get size(): number {
    let total = 0;
    for (const share of this.shares.values()) total += share.keys.size;
    return total;
  }

  /** How many keys of `orgId` are cached. */
  sizeOf(orgId: string): number {
    return this.shares.get(orgId)?.keys.size ?? 0;
  }

  /** Zeroes and drops every key (shutdown, tests, an operator's "forget keys now"). */
  clear(): void {
    for (const share of this.shares.values()) share.keys.clear();
    this.shares.clear();
  }

  private count(entry: CachedDataKey | undefined): CachedDataKey | undefined {
    if (entry) this.hits++;
    else this.misses++;
    return entry;
  }

  /**
   * Before a new key enters below its org's own cap: when the whole cache is full, evict the
   * least recently used key of the org holding the most (on a miss only, next to a KMS call).
   */
  private makeRoom(entering: OrgShare): void {
    if (this.size < this.max) return;
    let largest: OrgShare | undefined;
    for (const [orgId, share] of this.shares) {
      if (share.keys.size === 0 && share !== entering) this.shares.delete(orgId);
      else if (!largest || share.keys.size > largest.keys.size) largest = share;
    }
    largest?.keys.pop();
  }
}
