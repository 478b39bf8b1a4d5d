import {
  activeKeyForNewDataKeys,
  dataKeyCodec,
  dataKeyDecider,
  dataKeyStream,
  DomainError,
  encryptsAt,
  findKey,
  isWrappingAllowed,
  PLATFORM_KEY_ID,
  retiresAt,
  type DataKeyState,
  type DataKeyUsePolicy,
  type EventMetadata,
} from '@cmk/domain';
import { ConcurrencyError, type EventStore } from '@cmk/eventstore';
import { handleCommand, readState } from '@cmk/application';
import { providerRequestFor, type DataKeyIdKey, type KeyProviderRegistry, type ProviderRequest } from '@cmk/key-providers';
import { CachedDataKey } from './data-key-cache';
import type { DataKeyQuota } from './data-key-quota';
import { envelopeAad } from './envelope';
import { dataKeyNotFound, secretsError } from './errors';
import type { KeyringReader } from './keyring-reader';
import { blockedByHealth, type NewDataKeyGate } from './new-data-key-gate';
import { dataKeyIdFor, legacyDataKeyIdFor } from './scope';
import { StrandedKeyGuard } from './stranded-key-guard';

type Issued = DataKeyState & { status: 'issued' };

/** What issuing needs besides the store and the providers. */
export interface DataKeyRepositoryOptions {
  readonly idKey: DataKeyIdKey;
  readonly quota: DataKeyQuota;
  readonly policy: DataKeyUsePolicy;
  readonly gate?: NewDataKeyGate;
}

/**
 * Data keys in the event store: find or issue the generation a scope encrypts with, unwrap the
 * one a ciphertext names, reserve uses. Always reads the data key's stream (its current wrapped
 * form after any re-encryption); plaintext keys leave only as {@link CachedDataKey} for the cache.
 */
export class DataKeyRepository {
  private readonly strandedGuard: StrandedKeyGuard;

  constructor(
    private readonly store: EventStore,
    private readonly providers: KeyProviderRegistry,
    private readonly keyrings: KeyringReader,
    private readonly options: DataKeyRepositoryOptions,
  ) {
    this.strandedGuard = new StrandedKeyGuard(store, providers, keyrings);
  }

  /** Unwraps data key `dataKeyId` for `orgId`; `DATA_KEY_NOT_FOUND` when absent or of another org. */
  async load(orgId: string, dataKeyId: string): Promise<CachedDataKey> {
    const state = await this.read(dataKeyId);
    // Another org's data key answers exactly like a missing one: ids reveal nothing across tenants.
    if (state.status !== 'issued' || state.orgId !== orgId) {
      throw dataKeyNotFound(dataKeyId);
    }
    return this.unwrap(state);
  }

  /**
   * The data key (org, scope) encrypts with at `nowMs`: the first generation from `fromGeneration`
   * that is neither spent nor too old, issued when it does not exist yet. Generation 0 of a scope
   * is looked up by its keyed id, then by its legacy (unkeyed) id; later generations only have
   * keyed ids. One event store read per generation passed (a cold start of a scope that has
   * rotated many times reads that many streams; the cache remembers where it got to).
   */
  async encryptingKey(orgId: string, scope: string, fromGeneration: number, nowMs: number, metadata: EventMetadata): Promise<CachedDataKey> {
    for (let generation = fromGeneration; ; generation++) {
      const dataKeyId = dataKeyIdFor(this.options.idKey, orgId, scope, generation);
      let state = await this.read(dataKeyId);
      if (state.status !== 'issued' && generation === 0) state = await this.read(legacyDataKeyIdFor(orgId, scope));
      if (state.status !== 'issued') return this.issue(orgId, scope, dataKeyId, generation, metadata);
      this.checkOwner(state, orgId, scope);
      if (encryptsAt(state, this.options.policy, nowMs)) return this.unwrap(state);
    }
  }

  /**
   * Reserves `count` more encryptions of `key` in its stream; false when that would pass the
   * limit (the key is spent: its scope moves to the next generation).
   */
  async reserve(key: CachedDataKey, count: number, metadata: EventMetadata): Promise<boolean> {
    const command = {
      type: 'ReserveDataKeyUse' as const,
      data: { orgId: key.orgId, dataKeyId: key.dataKeyId, count, limit: this.options.policy.maxUses },
      metadata,
    };
    try {
      await handleCommand(this.store, dataKeyStream(key.dataKeyId), dataKeyDecider, dataKeyCodec, command, { maxAttempts: 20 });
      return true;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'DATA_KEY_USE_EXHAUSTED') return false;
      throw error;
    }
  }

  /**
   * Issues generation `generation` of (org, scope) under the org's default key. Concurrent first
   * uses race on `no_stream`: exactly one append wins and the losers unwrap its key. A new scope
   * (generation 0) is counted against the org's limit: checked before the KMS call, taken (and
   * given back when the append loses) around the append.
   */
  private async issue(orgId: string, scope: string, dataKeyId: string, generation: number, metadata: EventMetadata): Promise<CachedDataKey> {
    const counted = generation === 0;
    if (counted) await this.options.quota.check(orgId);
    const request = await this.wrappingKeyForNewDataKeys(orgId);
    const generated = await this.providers.providerFor(request).generateDataKey({ org: orgId, dataKey: dataKeyId });
    const command = {
      type: 'IssueDataKey' as const,
      data: { orgId, dataKeyId, scope, wrappedBy: request.wrappedBy, kekRef: generated.kekRef, wrapped: generated.wrapped.toString('base64'), generation },
      metadata,
    };
    try {
      if (counted) await this.options.quota.take(orgId, dataKeyId, metadata);
    } catch (error) {
      generated.plaintext.fill(0);
      // At the limit, the slot may have gone to another replica's first use of this very scope.
      if ((await this.read(dataKeyId)).status === 'issued') return this.loadWinner(orgId, dataKeyId, scope);
      throw error;
    }
    try {
      await handleCommand(this.store, dataKeyStream(dataKeyId), dataKeyDecider, dataKeyCodec, command, { maxAttempts: 1 });
    } catch (error) {
      generated.plaintext.fill(0);
      // A give-back that fails (store outage) leaves the org counted one too many: the safe side.
      if (counted) await this.options.quota.giveBack(orgId, dataKeyId, metadata).catch(() => undefined);
      const lostRace = error instanceof ConcurrencyError || (error instanceof DomainError && error.code === 'DATA_KEY_EXISTS');
      if (!lostRace) throw error;
      return this.loadWinner(orgId, dataKeyId, scope);
    }
    try {
      await this.strandedGuard.settle({ orgId, dataKeyId, wrappedBy: request.wrappedBy, kekRef: generated.kekRef, plaintext: generated.plaintext, metadata });
    } catch (error) {
      generated.plaintext.fill(0);
      throw error;
    }
    const issuedAt = Date.parse(metadata.occurredAt);
    return new CachedDataKey(orgId, dataKeyId, scope, generated.plaintext, envelopeAad(orgId, dataKeyId, scope), generation, issuedAt + this.options.policy.maxAgeMs);
  }

  private async loadWinner(orgId: string, dataKeyId: string, scope: string): Promise<CachedDataKey> {
    const winner = await this.read(dataKeyId);
    if (winner.status !== 'issued') throw new Error(`Data key ${dataKeyId} lost a race but its stream is empty`);
    return this.unwrap(this.checkOwner(winner, orgId, scope));
  }

  private async read(dataKeyId: string): Promise<DataKeyState> {
    return (await readState(this.store, dataKeyStream(dataKeyId), dataKeyDecider, dataKeyCodec)).state;
  }

  /** Guards against the (theoretical) id collision of two (org, scope) pairs. */
  private checkOwner(state: Issued, orgId: string, scope: string) {
    if (state.orgId !== orgId || state.scope !== scope) throw new Error(`Data key ${state.dataKeyId} is bound to another org or scope`);
    return state;
  }

  private async unwrap(state: Issued): Promise<CachedDataKey> {
    const { orgId, dataKeyId, scope, wrappedBy, wrapped, generation } = state;
    const provider = this.providers.providerFor(await this.keyrings.providerRequest(orgId, wrappedBy));
    const plaintext = await provider.unwrap(Buffer.from(wrapped, 'base64'), { org: orgId, dataKey: dataKeyId });
    return new CachedDataKey(orgId, dataKeyId, scope, plaintext, envelopeAad(orgId, dataKeyId, scope), generation, retiresAt(state, this.options.policy));
  }

  /**
   * The org's default key, read fresh from the key ring. The decider keeps the default active
   * and never a re-encryption source; this checks again so a broken invariant fails loudly
   * instead of wrapping a new data key with a key on its way out.
   */
  private async wrappingKeyForNewDataKeys(orgId: string): Promise<ProviderRequest> {
    const state = await this.keyrings.fresh(orgId);
    const keyId = activeKeyForNewDataKeys(state);
    const leaving = state.status === 'reencrypting' && state.run.from.includes(keyId);
    if (!isWrappingAllowed(state, keyId) || leaving) {
      throw secretsError('WRAPPING_KEY_UNAVAILABLE', 'The default key cannot wrap new data keys right now', { keyId });
    }
    if (keyId !== PLATFORM_KEY_ID && !findKey(state, keyId)) {
      throw secretsError('WRAPPING_KEY_UNAVAILABLE', `Default key ${keyId} is not on the key ring`, { keyId });
    }
    const block = keyId === PLATFORM_KEY_ID ? undefined : await this.options.gate?.blocked(orgId, keyId);
    if (block) throw blockedByHealth(keyId, block);
    return providerRequestFor(state, orgId, keyId);
  }
}
