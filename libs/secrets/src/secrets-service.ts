import { randomUUID } from 'node:crypto';
import type { EventMetadata } from '@cmk/domain';
import type { EventStore } from '@cmk/eventstore';
import type { KeyProviderRegistry } from '@cmk/key-providers';
import { DataKeyCache, type CachedDataKey, type DataKeyCacheOptions } from './data-key-cache';
import { DataKeyRepository } from './data-keys';
import { cacheContended, dataKeyNotFound } from './errors';
import { formatEnvelope, NONCE_BYTES, openValue, parseEnvelope, sealValue } from './envelope';
import { KeyringReader, type KeyringReaderOptions } from './keyring-reader';
import type { NewDataKeyGate } from './new-data-key-gate';
import { NoncePool } from './nonce-pool';
import { checkBatchSize, checkTotal, checkWellFormed, DEFAULT_SECRETS_LIMITS, type SecretsLimits } from './limits';
import { dataKeyIdFor, validateScope } from './scope';

export interface SecretsServiceOptions {
  readonly cache?: DataKeyCacheOptions;
  readonly keyring?: KeyringReaderOptions;
  /** Defaults: {@link DEFAULT_SECRETS_LIMITS}. */
  readonly limits?: Partial<SecretsLimits>;
  /** Consulted before a new scope's data key is generated (key health). Default: none. */
  readonly gate?: NewDataKeyGate;
  /** Times the metadata of data keys issued without caller metadata. Default `() => new Date()`. */
  readonly clock?: () => Date;
}

/** How many times a batch looks its keys up again after one was evicted between lookup and use. */
const MAX_KEY_ROUNDS = 3;

/** A request's own copy of a data key; zeroed when the request is done. */
interface HeldKey {
  readonly key: Buffer;
  readonly aad: Buffer;
}

/**
 * Encrypts and decrypts secret values with per-scope data keys (library level: the HTTP layer
 * and the benchmark both use it). With the data key cached, a batch touches no I/O at all: it
 * is AES-256-GCM in memory. A cache miss costs one event store read (two when the key ring is
 * not cached) and one unwrap; concurrent misses for the same data key share that work.
 */
export class SecretsService {
  readonly cache: DataKeyCache;
  private readonly dataKeys: DataKeyRepository;
  private readonly limits: SecretsLimits;
  private readonly clock: () => Date;
  private readonly loading = new Map<string, Promise<CachedDataKey>>();
  private readonly nonces = new NoncePool();

  constructor(store: EventStore, providers: KeyProviderRegistry, options: SecretsServiceOptions = {}) {
    this.cache = new DataKeyCache(options.cache);
    this.dataKeys = new DataKeyRepository(store, providers, new KeyringReader(store, options.keyring), options.gate);
    this.limits = { ...DEFAULT_SECRETS_LIMITS, ...options.limits };
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Encrypts `values` (UTF-8) under the data key of `scope`, issuing it on first use with
   * `metadata` (the request's, or a `system` one) on its `DataKeyIssued` event.
   */
  async encrypt(orgId: string, scope: string, values: readonly string[], metadata?: EventMetadata): Promise<string[]> {
    validateScope(scope);
    checkBatchSize(values.length, this.limits);
    let total = 0;
    const plaintexts = values.map((value, index) => {
      checkWellFormed(value, index);
      const bytes = Buffer.from(value, 'utf8');
      total += bytes.length;
      return bytes;
    });
    checkTotal(total, this.limits.maxPlaintextBytes, 'bytes');
    const dataKeyId = dataKeyIdFor(orgId, scope);
    for (let round = 1; ; round++) {
      const key = await this.key(orgId, dataKeyId, () => this.dataKeys.issueOrLoad(orgId, scope, metadata ?? this.systemMetadata()));
      // From here to the return nothing awaits, so the key cannot be zeroed under us.
      if (!key.usable && round < MAX_KEY_ROUNDS) continue;
      const nonces = this.nonces.draw(NONCE_BYTES * plaintexts.length);
      return plaintexts.map((plaintext, i) => {
        const nonce = nonces.subarray(i * NONCE_BYTES, (i + 1) * NONCE_BYTES);
        return formatEnvelope(dataKeyId, nonce, sealValue(this.usableKey(key), key.aad, nonce, plaintext));
      });
    }
  }

  /** Decrypts ciphertexts of `orgId` (any scopes, any data keys) in order. */
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

  /** A private copy of an org's data key (loading it when not cached). */
  private async hold(orgId: string, dataKeyId: string): Promise<HeldKey> {
    for (let round = 1; ; round++) {
      const key = await this.key(orgId, dataKeyId, () => this.dataKeys.load(orgId, dataKeyId));
      if (key.usable) return { key: Buffer.from(key.key), aad: key.aad };
      if (round >= MAX_KEY_ROUNDS) throw cacheContended(dataKeyId);
    }
  }

  /**
   * The cached key, or one load shared by the concurrent callers of the same org. Entries are
   * cached by data key id and carry their org: a cached key of another org answers exactly like
   * a data key that does not exist, so one org can never use (or detect) another's key.
   */
  private async key(orgId: string, dataKeyId: string, load: () => Promise<CachedDataKey>): Promise<CachedDataKey> {
    const cached = this.cache.get(dataKeyId);
    if (cached) {
      if (cached.orgId !== orgId) throw dataKeyNotFound(dataKeyId);
      return cached;
    }
    const loadId = `${orgId}\0${dataKeyId}`;
    let pending = this.loading.get(loadId);
    if (!pending) {
      pending = load().then(
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
