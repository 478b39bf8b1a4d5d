import { refuse } from '../shared/domain-error';
import { PLATFORM_KEY_ID } from '../keyring/events';
import type { UpgradePlatformWrapping } from './commands';
import type { DataKeyEvent } from './events';
import type { DataKeyState } from './decider';

/**
 * The migration of data keys written before org platform keys: `platform` stays the wrapping
 * key (the data-key index does not change sets), only the wrap changes, recorded as a
 * `DataKeyRewrapped` from `platform` to `platform` under the migration's id. A data key no longer
 * under exactly `fromKekRef` (moved by a run, or migrated already) is skipped, not refused.
 */
export function decideUpgradePlatformWrapping(command: UpgradePlatformWrapping, state: DataKeyState): DataKeyEvent[] {
  const { orgId, dataKeyId, fromKekRef, kekRef, wrapped, migrationId } = command.data;
  for (const [field, value] of Object.entries({ fromKekRef, kekRef, wrapped, migrationId })) {
    if (value.length === 0) throw refuse('VALIDATION_FAILED', `${field} is required`, { field });
  }
  if (state.status !== 'issued') throw refuse('DATA_KEY_NOT_FOUND', 'No such data key', { dataKeyId });
  if (state.orgId !== orgId) throw refuse('VALIDATION_FAILED', 'The data key belongs to another organisation', { field: 'orgId', dataKeyId });
  if (state.wrappedBy !== PLATFORM_KEY_ID || state.kekRef !== fromKekRef) return [];
  return [
    {
      type: 'DataKeyRewrapped',
      data: { orgId, dataKeyId, from: PLATFORM_KEY_ID, to: PLATFORM_KEY_ID, kekRef, wrapped, reencryptionId: migrationId },
      metadata: command.metadata,
    },
  ];
}
