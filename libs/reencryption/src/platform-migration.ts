import { dataKeyCodec, dataKeyDecider, dataKeyStream, decodeDataKeyEvent, PLATFORM_KEY_ID, type DataKeyState, type EventMetadata } from '@cmk/domain';
import { handleCommand, stateOf } from '@cmk/application';
import { comparePositions, type EventStore, type Position } from '@cmk/eventstore';
import { generationOfKekRef } from '@cmk/key-providers';
import type { ProviderSource } from './rewrap-batch';
import { readKeyring } from './run-keyring';

/** The id recorded as `reencryptionId` on the migration's `DataKeyRewrapped` events. */
export const PLATFORM_MIGRATION_ID = 'platform-org-keys';

export interface PlatformMigrationProgress {
  /** Data keys found directly under a master key version when the run started. */
  readonly total: number;
  readonly migrated: number;
  /** Moved meanwhile by something else (a run, another worker's migration). */
  readonly skipped: number;
  readonly failed: number;
}

export interface PlatformMigrationOptions {
  /** Data keys in flight, default 16. */
  readonly concurrency?: number;
  /** Called every `progressEvery` data keys (default 1 000) and once at the end. */
  readonly onProgress?: (progress: PlatformMigrationProgress) => void;
  readonly progressEvery?: number;
}

/**
 * Stores written before org platform keys hold data keys wrapped directly by a platform master
 * key version (`kekRef` `platform:v<N>`, or the KMS platform key's ARN). They keep decrypting
 * (the platform provider recognises their layout), but they cannot be crypto-shredded per org and
 * they pin their master version. This run moves each of them under its org's platform key:
 * unwrap with the master key, wrap with the org key, append `DataKeyRewrapped` platform →
 * platform (`UpgradePlatformWrapping`, guarded by the wrap it read). The worker starts it in the
 * background at every start; it is idempotent (a migrated or moved key is skipped, so a second
 * run finds nothing), safe beside other workers (expected revisions), and reports progress.
 */
export async function migrateLegacyPlatformDataKeys(store: EventStore, providers: ProviderSource, options: PlatformMigrationOptions = {}): Promise<PlatformMigrationProgress> {
  const pending = await legacyDataKeys(store);
  const counts = { total: pending.length, migrated: 0, skipped: 0, failed: 0 };
  const every = options.progressEvery ?? 1_000;
  let next = 0;
  let reported = 0;
  const lane = async (): Promise<void> => {
    while (next < pending.length) {
      const dataKeyId = pending[next++];
      const outcome = await migrateOne(store, providers, dataKeyId).catch(() => 'failed' as const);
      counts[outcome] += 1;
      const done = counts.migrated + counts.skipped + counts.failed;
      if (options.onProgress && done - reported >= every) {
        reported = done;
        options.onProgress({ ...counts });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 16, Math.max(1, pending.length)) }, lane));
  options.onProgress?.({ ...counts });
  return counts;
}

/** A data key's current wrap is directly under a master key: platform, but not an org key generation. */
export function isLegacyPlatformWrap(state: DataKeyState): boolean {
  return state.status === 'issued' && state.wrappedBy === PLATFORM_KEY_ID && generationOfKekRef(state.kekRef) === undefined;
}

/** Events read per page of the log when looking for legacy wraps. */
const SCAN_PAGE = 1_000;

/**
 * The data keys whose current wrap is directly under a master key. The log is read a page at a
 * time and only the ids of legacy keys are kept (the two data-key events each carry the wrap they
 * leave, so no state is needed): memory is bounded by the legacy keys, not by the log. Reading
 * the whole log and every data key's state at once cost about 2.5 KB per data key at every start
 * (≈ 250 MB at 100 000 keys).
 */
export async function legacyDataKeys(store: EventStore, pageSize = SCAN_PAGE): Promise<string[]> {
  const legacy = new Set<string>();
  let after: Position | undefined;
  for (;;) {
    // readAll is inclusive: every page after the first starts with the last event already seen.
    const maxCount = after === undefined ? pageSize : pageSize + 1;
    const page = await store.readAll({ fromPosition: after ?? 'start', maxCount });
    let progressed = false;
    for (const raw of page) {
      if (after !== undefined && comparePositions(raw.position, after) <= 0) continue;
      after = raw.position;
      progressed = true;
      if (!raw.streamId.startsWith('datakey-')) continue;
      const event = decodeDataKeyEvent(raw);
      // Use reservations count encryptions; they say nothing about the wrapping.
      if (event.type === 'DataKeyUseReserved') continue;
      const wrap = event.type === 'DataKeyIssued' ? { wrappedBy: event.data.wrappedBy, kekRef: event.data.kekRef } : { wrappedBy: event.data.to, kekRef: event.data.kekRef };
      if (wrap.wrappedBy === PLATFORM_KEY_ID && generationOfKekRef(wrap.kekRef) === undefined) legacy.add(event.data.dataKeyId);
      else legacy.delete(event.data.dataKeyId);
    }
    if (page.length < maxCount || !progressed) return [...legacy];
  }
}

async function migrateOne(store: EventStore, providers: ProviderSource, dataKeyId: string): Promise<'migrated' | 'skipped'> {
  const recorded = await store.readStream(dataKeyStream(dataKeyId));
  const { state } = stateOf(recorded, dataKeyDecider, dataKeyCodec);
  if (state.status !== 'issued' || !isLegacyPlatformWrap(state)) return 'skipped';
  // A running re-encryption of the org pages its index; leave its keys alone (a first-key run
  // moves them anyway, and the next start of a worker migrates what is left).
  if ((await readKeyring(store, state.orgId)).status === 'reencrypting') return 'skipped';
  const context = { org: state.orgId, dataKey: dataKeyId };
  const platform = providers.providerFor({ orgId: state.orgId, wrappedBy: PLATFORM_KEY_ID });
  const plaintext = await platform.unwrap(Buffer.from(state.wrapped, 'base64'), context);
  try {
    const upgraded = await platform.wrap(plaintext, context);
    const metadata: EventMetadata = { actor: 'system', requestId: `${PLATFORM_MIGRATION_ID}-${dataKeyId}`, correlationId: PLATFORM_MIGRATION_ID, causationId: PLATFORM_MIGRATION_ID, occurredAt: new Date().toISOString() };
    const result = await handleCommand(
      store,
      dataKeyStream(dataKeyId),
      dataKeyDecider,
      dataKeyCodec,
      {
        type: 'UpgradePlatformWrapping',
        data: { orgId: state.orgId, dataKeyId, fromKekRef: state.kekRef, kekRef: upgraded.kekRef, wrapped: upgraded.wrapped.toString('base64'), migrationId: PLATFORM_MIGRATION_ID },
        metadata,
      },
      { maxAttempts: 10, recorded },
    );
    return result.events.length > 0 ? 'migrated' : 'skipped';
  } finally {
    plaintext.fill(0);
  }
}
