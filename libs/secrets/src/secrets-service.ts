import { randomUUID } from 'node:crypto';
import type { DataKeyUsePolicy, EventMetadata } from '@cmk/domain';
import type { EventStore } from '@cmk/eventstore';
import type { DataKeyIdKey, KeyProviderRegistry } from '@cmk/key-providers';
import { LRUCache } from 'lru-cache';
import { DataKeyCache, DEFAULT_DATA_KEY_CACHE_MAX, UseCounter, type CachedDataKey, type DataKeyCacheOptions } from './data-key-cache';
import { DataKeyQuota, DEFAULT_MAX_DATA_KEYS_PER_ORG } from './data-key-quota';
import { DataKeyRepository } from './data-keys';
import { cacheContended, secretsError } from './errors';
import { formatEnvelope, NONCE_BYTES, openValue, parseEnvelope, sealValue } from './envelope';
import { KeyringReader, type KeyringReaderOptions } from './keyring-reader';
import type { NewDataKeyGate } from './new-data-key-gate';
import { NoncePool } from './nonce-pool';
import { checkBatchSize, checkTotal, checkWellFormed, DEFAULT_DATA_KEY_USE_POLICY, DEFAULT_SECRETS_LIMITS, FIRST_RESERVATION, type SecretsLimits } from './limits';
import { validateScope } from './scope';

export interface SecretsServiceOptions {
  readonly cache?: DataKeyCacheOptions;
  readonly keyring?: KeyringReaderOptions;
  /** Defaults: {@link DEFAULT_SECRETS_LIMITS}. */
  readonly limits?: Partial<SecretsLimits>;
  /** `CMK_MAX_DATA_KEYS_PER_ORG`, default 10 000: scopes (first-generation data keys) per org. */
  readonly maxDataKeysPerOrg?: number;
  /** When a data key stops encrypting. Defaults: {@link DEFAULT_DATA_KEY_USE_POLICY}. */
  readonly dataKeyUse?: Partial<DataKeyUsePolicy>;
  /** The secret data-key ids are derived under. Default: the registry's (`createKeyProviders` loads it). */
  readonly idKey?: DataKeyIdKey;
  /** Consulted before a new scope's data key is generated (key health). Default: none. */
  readonly gate?: NewDataKeyGate;
  /** Times the metadata of data keys issued without caller metadata. Default `() => new Date()`. */
  readonly clock?: () => Date;
}

/** How many times a batch looks its keys up again after one was evicted between lookup and use. */
const MAX_KEY_ROUNDS = 3;
/** Lookups, reservations and generation changes one encrypt request may go through before giving up. */
const MAX_ENCRYPT_ROUNDS = 8;

/** A request's own copy of a data key; zeroed when the request is done. */
interface HeldKey {
  readonly key: Buffer;
  readonly aad: Buffer;
}

/**
 * Encrypts and decrypts secret values with per-scope data keys (library level: the HTTP layer
 * and the benchmark both use it). With the data key cached, a batch touches no I/O at all: it
 * is AES-256-GCM in memory plus a counter decrement (uses are reserved in blocks in the data
 * key's stream, one append per block). A cache miss costs one event store read per generation
 * (two when the key ring is not cached) and one unwrap; concurrent misses share that work.
 */
export class SecretsService {
  readonly cache: DataKeyCache;
  readonly quota: DataKeyQuota;
  private readonly dataKeys: DataKeyRepository;
  private readonly limits: SecretsLimits;
  private readonly policy: DataKeyUsePolicy;
  private readonly clock: () => Date;
  private readonly loading = new Map<string, Promise<CachedDataKey>>();
  private readonly nonces = new NoncePool();
  private readonly loadingScopes = new Map<string, Promise<CachedDataKey>>();
  /** Reserved-but-unused uses per (org, data key), kept across cache expiries (numbers only). */
  private readonly counters: LRUCache<string, UseCounter>;

  constructor(store: EventStore, providers: KeyProviderRegistry, options: SecretsServiceOptions = {}) {
    const idKey = options.idKey ?? providers.dataKeyIdKey;
    if (!idKey) throw new Error('SecretsService needs the data-key id key (createKeyProviders loads it from CMK_DATA_DIR or CMK_DATA_KEY_ID_KEY)');
    this.cache = new DataKeyCache(options.cache);
    this.counters = new LRUCache({ max: options.cache?.max ?? DEFAULT_DATA_KEY_CACHE_MAX });
    this.limits = { ...DEFAULT_SECRETS_LIMITS, ...options.limits };
    const policy = { ...DEFAULT_DATA_KEY_USE_POLICY, ...options.dataKeyUse };
    this.policy = { ...policy, reserveBlock: Math.min(policy.reserveBlock, policy.maxUses) };
    this.quota = new DataKeyQuota(store, options.maxDataKeysPerOrg ?? DEFAULT_MAX_DATA_KEYS_PER_ORG);
    this.dataKeys = new DataKeyRepository(store, providers, new KeyringReader(store, options.keyring), { idKey, quota: this.quota, policy: this.policy, gate: options.gate });
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Encrypts `values` (UTF-8) under the data key `scope` encrypts with now, issuing it on first
   * use (or when the previous generation is spent or too old) with `metadata` (the request's, or
   * a `system` one) on its `DataKeyIssued` event. `metadata` may be given as a function, called
   * only when an event is written: the hot path (a cached key) then builds none.
   */
  async encrypt(orgId: string, scope: string, values: readonly string[], metadata?: EventMetadata | (() => EventMetadata)): Promise<string[]> {
    validateScope(scope);
    checkBatchSize(values.length, this.limits);
    if (values.length > this.policy.maxUses) {
      throw secretsError('BATCH_TOO_LARGE', `At most ${this.policy.maxUses} values per request (the data-key use limit)`, { count: values.length, max: this.policy.maxUses });
    }
    let total = 0;
    const plaintexts = values.map((value, index) => {
      checkWellFormed(value, index);
      const bytes = Buffer.from(value, 'utf8');
      total += bytes.length;
      return bytes;
    });
    checkTotal(total, this.limits.maxPlaintextBytes, 'bytes');
    const count = plaintexts.length;
    let key = this.cache.encryptingKey(orgId, scope);
    if (!key || !key.take(count, Date.now())) key = await this.encryptingKey(orgId, scope, count, metadata);
    else if (key.uses.remaining * 2 < key.uses.nextBlock) this.reserveAhead(key);
    // The key was usable and its uses taken after the last await: nothing awaits from here on,
    // so it cannot be zeroed under us.
    const sealing = this.usableKey(key);
    const { dataKeyId, aad } = key;
    const nonces = this.nonces.draw(NONCE_BYTES * count);
    return plaintexts.map((plaintext, i) => {
      const nonce = nonces.subarray(i * NONCE_BYTES, (i + 1) * NONCE_BYTES);
      return formatEnvelope(dataKeyId, nonce, sealValue(sealing, aad, nonce, plaintext));
    });
  }

  /** Decrypts ciphertexts of `orgId` (any scopes, any data keys, any generation) in order. */
  async decrypt(orgId: string, ciphertexts: readonly string[]): Promise<string[]> {
    checkBatchSize(ciphertexts.length, this.limits);
    checkTotal(
      ciphertexts.reduce((sum, text) => sum + text.length, 0),
      this.limits.maxCiphertextChars,
      'characters',
    );
    const envelopes = ciphertexts.map((text, index) => parseEnvelope(text, index));
    // Copies of the keys this batch needs, taken synchronously right after each key is known to
    // be usable: another request may evict (and zero) a cache entry while this one awaits the
    // next load, so the batch never depends on the cache holding on. Zeroed when done.
    const held = new Map<string, HeldKey>();
    try {
      for (const { dataKeyId } of envelopes) {
        if (!held.has(dataKeyId)) held.set(dataKeyId, await this.hold(orgId, dataKeyId));
      }
      return envelopes.map((envelope, index) => {
        const key = held.get(envelope.dataKeyId);
        if (!key) throw new Error('decrypt: data key lookup out of step with the envelopes');
        return openValue(key.key, key.aad, envelope.nonce, envelope.sealed, index).toString('utf8');
      });
    } finally {
      for (const key of held.values()) key.key.fill(0);
    }
  }

  /**
   * The slow path of encrypt: the scope's key is not cached, or too old, or this process has
   * used up what it reserved. Returns a usable key whose `count` uses were taken synchronously
   * after the last await.
   */
  private async encryptingKey(orgId: string, scope: string, count: number, metadata: EventMetadata | (() => EventMetadata) | undefined): Promise<CachedDataKey> {
    let fromGeneration = 0;
    for (let round = 1; round <= MAX_ENCRYPT_ROUNDS; round++) {
      const key = this.cache.encryptingKey(orgId, scope) ?? (await this.loadEncrypting(orgId, scope, fromGeneration, metadata));
      if (!key.usable) continue;
      if (key.take(count, Date.now())) return key;
      if (Date.now() < key.retiresAtMs && (await this.refill(key, count))) {
        if (key.usable && key.take(count, Date.now())) return key;
        continue;
      }
      // Too old, or spent: it only decrypts from now on; the scope moves to the next generation.
      this.cache.retire(key);
      fromGeneration = Math.max(fromGeneration, key.generation + 1);
    }
    throw cacheContended(scope);
  }

  /** One load per (org, scope) at a time: concurrent first uses share it. */
  private loadEncrypting(orgId: string, scope: string, fromGeneration: number, metadata: EventMetadata | (() => EventMetadata) | undefined): Promise<CachedDataKey> {
    const loadId = `${orgId}\0${scope}`;
    let pending = this.loadingScopes.get(loadId);
    if (!pending) {
      pending = this.dataKeys.encryptingKey(orgId, scope, fromGeneration, Date.now(), (typeof metadata === 'function' ? metadata() : metadata) ?? this.systemMetadata()).then(
        (key) => {
          this.loadingScopes.delete(loadId);
          const counterId = `${orgId}\0${key.dataKeyId}`;
          const counter = this.counters.get(counterId) ?? new UseCounter();
          this.counters.set(counterId, counter);
          key.uses = counter;
          this.cache.set(key, true);
          return key;
        },
        (error: unknown) => {
          this.loadingScopes.delete(loadId);
          throw error;
        },
      );
      this.loadingScopes.set(loadId, pending);
    }
    return pending;
  }

  /**
   * Reserves more uses of `key` (one append, shared by the requests waiting for it). Blocks start
   * at {@link FIRST_RESERVATION} and double up to `reserveBlock`, so a quiet key reserves little
   * and a busy one rarely writes. False when the key is spent.
   */
  private async refill(key: CachedDataKey, count: number): Promise<boolean> {
    const uses = key.uses;
    if (uses.spent) return false;
    if (!uses.refilling) {
      uses.nextBlock = uses.nextBlock === 0 ? Math.min(FIRST_RESERVATION, this.policy.reserveBlock) : Math.min(uses.nextBlock * 2, this.policy.reserveBlock);
      const block = Math.min(Math.max(uses.nextBlock, count), this.policy.maxUses);
      uses.refilling = this.dataKeys.reserve(key, block, this.systemMetadata()).then(
        (granted) => {
          uses.refilling = undefined;
          if (granted) uses.remaining += block;
          else uses.spent = true;
        },
        (error: unknown) => {
          uses.refilling = undefined;
          throw error;
        },
      );
    }
    await uses.refilling;
    return !uses.spent;
  }

  /**
   * Less than half a block left: reserve the next one now, without waiting, so that busy scopes
   * never stall on an append. A failure here is not the caller's: the request that next needs
   * the uses reserves again and reports it.
   */
  private reserveAhead(key: CachedDataKey): void {
    if (key.uses.refilling || key.uses.spent) return;
    this.refill(key, 0).catch(() => undefined);
  }

  /** A private copy of an org's data key (loading it when not cached). */
  private async hold(orgId: string, dataKeyId: string): Promise<HeldKey> {
    for (let round = 1; ; round++) {
      const key = await this.key(orgId, dataKeyId);
      if (key.usable) return { key: Buffer.from(key.key), aad: key.aad };
      if (round >= MAX_KEY_ROUNDS) throw cacheContended(dataKeyId);
    }
  }

  /**
   * The cached key, or one load shared by the concurrent callers of the same org. The cache is
   * looked up through the org: another org's key is never reached, and an id of another org
   * answers from the store exactly like a data key that does not exist.
   */
  private async key(orgId: string, dataKeyId: string): Promise<CachedDataKey> {
    const cached = this.cache.get(orgId, dataKeyId);
    if (cached) return cached;
    const loadId = `${orgId}\0${dataKeyId}`;
    let pending = this.loading.get(loadId);
    if (!pending) {
      pending = this.dataKeys.load(orgId, dataKeyId).then(
        (key) => {
          this.loading.delete(loadId);
          this.cache.set(key);
          return key;
        },
        (error: unknown) => {
          this.loading.delete(loadId);
          throw error;
        },
      );
      this.loading.set(loadId, pending);
    }
    return pending;
  }

  /** A zeroed key would encrypt "successfully" under all zeros: fail instead (never happens in practice). */
  private usableKey(key: CachedDataKey): Buffer {
    if (!key.usable) throw cacheContended(key.dataKeyId);
    return key.key;
  }

  private systemMetadata(): EventMetadata {
    const requestId = randomUUID();
    return { actor: 'system', requestId, correlationId: requestId, causationId: requestId, occurredAt: this.clock().toISOString() };
  }
}
