import { assertNever } from '../shared/assert-never';
import type { Decider } from '../shared/decider';
import { refuse } from '../shared/domain-error';
import type { DataKeyCommand, IssueDataKey, RewrapDataKey } from './commands';
import type { DataKeyEvent } from './events';
import { evolve, initialState, type DataKeyState } from './state';

function requireFilled(fields: Readonly<Record<string, string>>): void {
  for (const [field, value] of Object.entries(fields)) {
    if (value.length === 0) throw refuse('VALIDATION_FAILED', `${field} is required`, { field });
  }
}

/** Re-issuing with exactly the same payload is a no-op: the issuer retried after a timeout. */
function issue(command: IssueDataKey, state: DataKeyState): DataKeyEvent[] {
  const { orgId, dataKeyId, scope, wrappedBy, kekRef, wrapped } = command.data;
  requireFilled({ orgId, dataKeyId, scope, wrappedBy, kekRef, wrapped });
  if (state.status === 'issued') {
    const same =
      state.orgId === orgId && state.scope === scope && state.wrappedBy === wrappedBy && state.kekRef === kekRef && state.wrapped === wrapped;
    if (same && state.rewrappedBy.length === 0) return [];
    throw refuse('DATA_KEY_EXISTS', 'This data key was already issued', { dataKeyId });
  }
  return [{ type: 'DataKeyIssued', data: { orgId, dataKeyId, scope, wrappedBy, kekRef, wrapped }, metadata: command.metadata }];
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

export function decide(command: DataKeyCommand, state: DataKeyState): DataKeyEvent[] {
  switch (command.type) {
    case 'IssueDataKey':
      return issue(command, state);
    case 'RewrapDataKey':
      return rewrap(command, state);
    default:
      return assertNever(command, 'data key command');
  }
}

export const dataKeyDecider: Decider<DataKeyCommand, DataKeyEvent, DataKeyState> = { initialState, evolve, decide };
