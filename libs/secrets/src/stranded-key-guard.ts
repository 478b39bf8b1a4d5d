import { activeKeyForNewDataKeys, dataKeyCodec, dataKeyDecider, dataKeyStream, findKey, PLATFORM_KEY_ID, type EventMetadata, type KeyringState } from '@cmk/domain';
import { handleCommand } from '@cmk/application';
import type { EventStore } from '@cmk/eventstore';
import { providerRequestFor, type KeyProviderRegistry, type ProviderRequest } from '@cmk/key-providers';
import { secretsError } from './errors';
import type { KeyringReader } from './keyring-reader';

/**
 * The run id recorded on a `DataKeyRewrapped` made by the data key's own issuer, not by a run.
 * Not a `re-…` id, so it can never be confused with (or counted in) a re-encryption run.
 */
export const ISSUER_MOVE = 'issuer-move';

export interface FreshDataKey {
  readonly orgId: string;
  readonly dataKeyId: string;
  readonly wrappedBy: string;
  readonly kekRef: string;
  /** Still owned by the caller: the guard never zeroes or keeps it. */
  readonly plaintext: Buffer;
  readonly metadata: EventMetadata;
}

/**
 * "Nothing stranded, by construction." Issuing a data key reads the key ring, calls KMS, then
 * appends. If, during that KMS call, the default moved and a run took the old key out of
 * service (a disable completed, or the org's first key was adopted and its platform key
 * destroyed), the append lands under a key that no run will ever sweep again. The issuer is
 * the one party that still holds the plaintext, so right after appending it re-reads the key
 * ring (and, for the platform key, whether the generation is still live) and, if its key is no
 * longer the one new data keys get, wraps the plaintext under the current default and appends
 * `DataKeyRewrapped` itself, before the key is ever returned. A run that moves the same data
 * key concurrently is harmless: the data key decider moves it only while it is under the source.
 *
 * Why this closes the gap: every run that retires a key first moves the default off it, and the
 * run's last sweep (finalize, index caught up to the head) sees every append made before that
 * moment. An append after it is followed by this check, which then sees the new default.
 */
export class StrandedKeyGuard {
  constructor(
    private readonly store: EventStore,
    private readonly providers: KeyProviderRegistry,
    private readonly keyrings: KeyringReader,
  ) {}

  async settle(key: FreshDataKey): Promise<void> {
    const { orgId, dataKeyId, wrappedBy, kekRef, plaintext, metadata } = key;
    const state = await this.keyrings.fresh(orgId);
    const current = activeKeyForNewDataKeys(state);
    const live = await this.providers.isWrapLive(orgId, kekRef);
    if (current === wrappedBy && live) return;
    if (current === wrappedBy) {
      // The org's platform key generation was destroyed and the platform key is the default
      // again (disable-all in between): the decider cannot move platform → platform. Refuse to
      // hand out a key nobody could unwrap later.
      throw secretsError('WRAPPING_KEY_UNAVAILABLE', 'The wrapping key was retired while this data key was created; retry', { keyId: wrappedBy });
    }
    const target = targetOf(orgId, state, current);
    const moved = await this.providers.providerFor(target).wrap(plaintext, { org: orgId, dataKey: dataKeyId });
    await handleCommand(this.store, dataKeyStream(dataKeyId), dataKeyDecider, dataKeyCodec, {
      type: 'RewrapDataKey',
      data: { orgId, dataKeyId, reencryptionId: ISSUER_MOVE, sources: [wrappedBy], to: current, kekRef: moved.kekRef, wrapped: moved.wrapped.toString('base64') },
      metadata,
    });
  }
}

function targetOf(orgId: string, state: KeyringState, keyId: string): ProviderRequest {
  const key = findKey(state, keyId);
  if (keyId !== PLATFORM_KEY_ID && key?.status !== 'active') throw secretsError('WRAPPING_KEY_UNAVAILABLE', `Default key ${keyId} cannot wrap data keys`, { keyId });
  return providerRequestFor(state, orgId, keyId);
}
