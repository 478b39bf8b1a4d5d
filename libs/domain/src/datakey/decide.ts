import { assertNever } from '../shared/assert-never';
import type { Decider } from '../shared/decider';
import { refuse } from '../shared/domain-error';
import type { DataKeyCommand, IssueDataKey, ReserveDataKeyUse, RewrapDataKey, UpgradePlatformWrapping } from './commands';
import { PLATFORM_KEY_ID } from '../keyring/events';
import type { DataKeyEvent } from './events';
import { evolve, initialState, type DataKeyState } from './state';

function requireFilled(fields: Readonly<Record<string, string>>): void {
  for (const [field, value] of Object.entries(fields)) {
    if (value.length === 0) throw refuse('VALIDATION_FAILED', `${field} is required`, { field });
  }
}

/** Re-issuing with exactly the same payload is a no-op: the issuer retried after a timeout. */
function issue(command: IssueDataKey, state: DataKeyState): DataKeyEvent[] {
  const { orgId, dataKeyId, scope, wrappedBy, kekRef, wrapped, generation } = command.data;
  requireFilled({ orgId, dataKeyId, scope, wrappedBy, kekRef, wrapped });
  if (generation !== undefined && (!Number.isSafeInteger(generation) || generation < 0)) {
    throw refuse('VALIDATION_FAILED', 'generation must be a non-negative integer', { field: 'generation' });
  }
  if (state.status === 'issued') {
    const same =
      state.orgId === orgId &&
      state.scope === scope &&
      state.wrappedBy === wrappedBy &&
      state.kekRef === kekRef &&
      state.wrapped === wrapped &&
      state.generation === (generation ?? 0);
    if (same && state.rewrappedBy.length === 0) return [];
    throw refuse('DATA_KEY_EXISTS', 'This data key was already issued', { dataKeyId });
  }
  const data = { orgId, dataKeyId, scope, wrappedBy, kekRef, wrapped, ...(generation === undefined ? {} : { generation }) };
  return [{ type: 'DataKeyIssued', data, metadata: command.metadata }];
}

/**
 * Uses are reserved in blocks before they are used, so the recorded total bounds the real
 * number of encryptions from above: a block that would pass the limit is refused whole (the
 * caller moves to the next generation), wasting at most one block of the limit.
 */
function reserve(command: ReserveDataKeyUse, state: DataKeyState): DataKeyEvent[] {
  const { orgId, dataKeyId, count, limit } = command.data;
  if (!Number.isSafeInteger(count) || count < 1) throw refuse('VALIDATION_FAILED', 'count must be a positive integer', { field: 'count' });
  if (!Number.isSafeInteger(limit) || limit < 1) throw refuse('VALIDATION_FAILED', 'limit must be a positive integer', { field: 'limit' });
  if (state.status !== 'issued') throw refuse('DATA_KEY_NOT_FOUND', 'No such data key', { dataKeyId });
  if (state.orgId !== orgId) throw refuse('VALIDATION_FAILED', 'The data key belongs to another organisation', { field: 'orgId', dataKeyId });
  if (state.reservedUses + count > limit) {
    throw refuse('DATA_KEY_USE_EXHAUSTED', 'This data key has reached its maximum number of uses', { dataKeyId, reserved: state.reservedUses, limit });
  }
  return [{ type: 'DataKeyUseReserved', data: { orgId, dataKeyId, upTo: state.reservedUses + count }, metadata: command.metadata }];
}

/**
 * A data key no longer wrapped by one of the run's sources is skipped (no events), not refused:
 * a retried batch, a replayed job or an overlapping run may already have moved it, and the
 * batch must go on with the next key.
 */
function rewrap(command: RewrapDataKey, state: DataKeyState): DataKeyEvent[] {
  const { orgId, dataKeyId, reencryptionId, sources, to, kekRef, wrapped } = command.data;
  requireFilled({ reencryptionId, to, kekRef, wrapped });
  if (sources.length === 0 || sources.includes(to)) {
    throw refuse('VALIDATION_FAILED', 'Sources must be non-empty and must not include the target', { field: 'sources', sources, to });
  }
  if (state.status !== 'issued') throw refuse('DATA_KEY_NOT_FOUND', 'No such data key', { dataKeyId });
  if (state.orgId !== orgId) {
    throw refuse('VALIDATION_FAILED', 'The data key belongs to another organisation', { field: 'orgId', dataKeyId });
  }
  if (!sources.includes(state.wrappedBy)) return [];
  return [
    {
      type: 'DataKeyRewrapped',
      data: { orgId, dataKeyId, from: state.wrappedBy, to, kekRef, wrapped, reencryptionId },
      metadata: command.metadata,
    },
  ];
}

/**
 * The migration of data keys written before org platform keys: `platform` stays the wrapping
 * key (the data-key index does not change sets), only the wrap changes, recorded as a
 * `DataKeyRewrapped` from `platform` to `platform` under the migration's id. A data key no longer
 * under exactly `fromKekRef` (moved by a run, or migrated already) is skipped, not refused.
 */
function decideUpgradePlatformWrapping(command: UpgradePlatformWrapping, state: DataKeyState): DataKeyEvent[] {
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

export function decide(command: DataKeyCommand, state: DataKeyState): DataKeyEvent[] {
  switch (command.type) {
    case 'IssueDataKey':
      return issue(command, state);
    case 'UpgradePlatformWrapping':
      return decideUpgradePlatformWrapping(command, state);
    case 'RewrapDataKey':
      return rewrap(command, state);
    case 'ReserveDataKeyUse':
      return reserve(command, state);
    default:
      return assertNever(command, 'data key command');
  }
}

export const dataKeyDecider: Decider<DataKeyCommand, DataKeyEvent, DataKeyState> = { initialState, evolve, decide };
