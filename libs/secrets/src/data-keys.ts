import {
  activeKeyForNewDataKeys,
  dataKeyCodec,
  dataKeyDecider,
  dataKeyStream,
  DomainError,
  findKey,
  isWrappingAllowed,
  PLATFORM_KEY_ID,
  type DataKeyState,
  type EventMetadata,
} from '@cmk/domain';
import { ConcurrencyError, type EventStore } from '@cmk/eventstore';
import { handleCommand, readState } from '@cmk/application';
import { providerRequestFor, type KeyProviderRegistry, type ProviderRequest } from '@cmk/key-providers';
import { CachedDataKey } from './data-key-cache';
import { envelopeAad } from './envelope';
import { dataKeyNotFound, secretsError } from './errors';
import type { KeyringReader } from './keyring-reader';
import { blockedByHealth, type NewDataKeyGate } from './new-data-key-gate';
import { dataKeyIdFor } from './scope';
import { StrandedKeyGuard } from './stranded-key-guard';

/**
 * Data keys in the event store: issue one for a scope on first use, or unwrap the one a
 * ciphertext names. Always reads the data key's stream (its current wrapped form after any
 * re-encryption); plaintext keys leave only as {@link CachedDataKey} for the cache.
 */
export class DataKeyRepository {
  constructor(
    private readonly store: EventStore,
    private readonly providers: KeyProviderRegistry,
    private readonly keyrings: KeyringReader,
    private readonly gate?: NewDataKeyGate,
  ) {
    this.strandedGuard = new StrandedKeyGuard(store, providers, keyrings);
  }

  private readonly strandedGuard: StrandedKeyGuard;

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
   * The data key of (org, scope), issued under the org's default key on first use. Concurrent
   * first uses race on `no_stream`: exactly one append wins and the losers unwrap its key.
   */
  async issueOrLoad(orgId: string, scope: string, metadata: EventMetadata): Promise<CachedDataKey> {
    const dataKeyId = dataKeyIdFor(orgId, scope);
    const existing = await this.read(dataKeyId);
    if (existing.status === 'issued') return this.unwrap(this.checkOwner(existing, orgId, scope));

    const request = await this.wrappingKeyForNewDataKeys(orgId);
    const generated = await this.providers.providerFor(request).generateDataKey({ org: orgId, dataKey: dataKeyId });
    const command = {
      type: 'IssueDataKey' as const,
      data: { orgId, dataKeyId, scope, wrappedBy: request.wrappedBy, kekRef: generated.kekRef, wrapped: generated.wrapped.toString('base64') },
      metadata,
    };
    try {
      await handleCommand(this.store, dataKeyStream(dataKeyId), dataKeyDecider, dataKeyCodec, command, { maxAttempts: 1 });
    } catch (error) {
      generated.plaintext.fill(0);
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
    return new CachedDataKey(orgId, dataKeyId, scope, generated.plaintext, envelopeAad(orgId, dataKeyId, scope));
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
  private checkOwner(state: DataKeyState & { status: 'issued' }, orgId: string, scope: string) {
    if (state.orgId !== orgId || state.scope !== scope) throw new Error(`Data key ${state.dataKeyId} is bound to another org or scope`);
    return state;
  }

  private async unwrap(state: DataKeyState & { status: 'issued' }): Promise<CachedDataKey> {
    const { orgId, dataKeyId, scope, wrappedBy, wrapped } = state;
    const provider = this.providers.providerFor(await this.keyrings.providerRequest(orgId, wrappedBy));
    const plaintext = await provider.unwrap(Buffer.from(wrapped, 'base64'), { org: orgId, dataKey: dataKeyId });
    return new CachedDataKey(orgId, dataKeyId, scope, plaintext, envelopeAad(orgId, dataKeyId, scope));
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
    const block = keyId === PLATFORM_KEY_ID ? undefined : await this.gate?.blocked(orgId, keyId);
    if (block) throw blockedByHealth(keyId, block);
    return providerRequestFor(state, orgId, keyId);
  }
}
