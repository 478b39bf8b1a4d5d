import { keyringCodec, keyringDecider, keyringStream, PLATFORM_KEY_ID, type EventMetadata, type KeyringState } from '@cmk/domain';
import { handleCommand, requestFingerprint } from '@cmk/application';
import type { EventStore } from '@cmk/eventstore';
import type { ReadModelQueries } from '@cmk/read-models';

/** What shredding needs from the org platform keys (`OrgPlatformKeys` fits). */
export interface PlatformKeyShredder {
  generations(orgId: string): Promise<ReadonlyArray<{ readonly generation: number; readonly status: 'live' | 'destroyed' }>>;
  destroy(orgId: string, generation: number): Promise<void>;
}

export interface ShreddingDependencies {
  readonly store: EventStore;
  readonly queries: ReadModelQueries;
  readonly platformKeys: PlatformKeyShredder;
  readonly indexWaitMs: number;
}

/**
 * Crypto-shredding, step 1 (just before a run is completed, while the running run still blocks
 * every key ring change, disable-all included): when the org's default is a customer key and the
 * data-key index, caught up to the head, lists no data key under the platform key, every live
 * generation of the org's platform key is destroyed. From then on every platform-wrapped copy
 * of the org's data keys, in old events, exports and backups, is noise.
 *
 * A data key issued under the platform key after this check cannot be lost: its issuer read the
 * key ring after the default had moved (the first key's run starts with it), so the issuer's own
 * after-append check moves it to the default with the plaintext it still holds.
 *
 * Returns the generations destroyed now (none when anything still depends on the key).
 */
export async function destroyPlatformKeyIfUnused(deps: ShreddingDependencies, keyring: KeyringState, orgId: string): Promise<number[]> {
  if (keyring.defaultKeyId === PLATFORM_KEY_ID) return [];
  const live = (await deps.platformKeys.generations(orgId)).filter((g) => g.status === 'live');
  if (live.length === 0) return [];
  const caughtUp = await deps.queries.waitForCheckpoint(await deps.store.headPosition(), { timeoutMs: deps.indexWaitMs, intervalMs: 50 });
  if (!caughtUp) throw new Error('The data-key index has not caught up with the event store yet');
  const underPlatform = await deps.queries.listDataKeys(orgId, PLATFORM_KEY_ID, { limit: 1 });
  if (underPlatform.ids.length > 0) return [];
  for (const { generation } of live) await deps.platformKeys.destroy(orgId, generation);
  return live.map((g) => g.generation);
}

/**
 * Step 2 (after the completion is appended, and again whenever finalize re-runs for a finished
 * run): every destroyed generation gets its `PlatformOrgKeyDestroyed`, exactly once (the
 * idempotency key names org and generation), so a crash between the act and the record only
 * delays the record.
 */
export async function recordDestroyedPlatformKeys(deps: ShreddingDependencies, orgId: string, reencryptionId: string, metadata: EventMetadata): Promise<void> {
  const destroyed = (await deps.platformKeys.generations(orgId)).filter((g) => g.status === 'destroyed');
  for (const { generation } of destroyed) {
    await handleCommand(
      deps.store,
      keyringStream(orgId),
      keyringDecider,
      keyringCodec,
      { type: 'RecordPlatformOrgKeyDestroyed', data: { orgId, generation, reencryptionId }, metadata },
      // One record per generation, whichever run's finalize gets there (the first one's id stays).
      { idempotencyKey: `platform-org-key-destroyed-g${generation}`, fingerprint: requestFingerprint('RecordPlatformOrgKeyDestroyed', { generation }) },
    );
  }
}
