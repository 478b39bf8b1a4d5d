import { validateKeyArn, validateRoleArn } from '../shared/arn';
import { assertNever } from '../shared/assert-never';
import type { Decider } from '../shared/decider';
import { refuse } from '../shared/domain-error';
import { CMK_EDITIONS } from '../org/events';
import type {
  AddKey,
  CompleteReencryption,
  DisableAllKeys,
  DisableKey,
  FailReencryption,
  KeyringCommand,
  RecordReencryptionProgress,
  RecordPlatformOrgKeyDestroyed,
  RetryReencryption,
  SetDefaultKey,
} from './commands';
import { PLATFORM_KEY_ID, type KeyringEvent } from './events';
import {
  destinationRefusal,
  disableRefusal,
  isUsableTarget,
  keyNameRefusal,
  normaliseKeyName,
  runIdRefusal,
  runningRefusal,
  setDefaultRefusal,
} from './rules';
import { evolve, findKey, initialState, type KeyringState, type ReencryptionRun, type RunOutcome } from './state';

/**
 * The key ring decider: pure, total, and the only place the product rules live. Returns the
 * events to append (possibly none, for an idempotent repeat) or throws a `DomainError`.
 */
export function decide(command: KeyringCommand, state: KeyringState): KeyringEvent[] {
  // A command routed to another org's stream is a programming error upstream; refuse it loudly.
  if (state.orgId !== undefined && command.data.orgId !== state.orgId) {
    throw refuse('VALIDATION_FAILED', 'The command is for another organisation', {
      field: 'orgId',
      expected: state.orgId,
      actual: command.data.orgId,
    });
  }
  switch (command.type) {
    case 'AddKey':
      return decideAddKey(command, state);
    case 'SetDefaultKey':
      return decideSetDefault(command, state);
    case 'DisableKey':
      return decideDisableKey(command, state);
    case 'DisableAllKeys':
      return decideDisableAll(command, state);
    case 'RecordReencryptionProgress':
      return decideProgress(command, state);
    case 'CompleteReencryption':
      return decideComplete(command, state);
    case 'FailReencryption':
      return decideFail(command, state);
    case 'RetryReencryption':
      return decideRetry(command, state);
    case 'RecordPlatformOrgKeyDestroyed':
      return decidePlatformKeyDestroyed(command, state);
    default:
      return assertNever(command, 'keyring command');
  }
}

/**
 * Recording that an org platform key generation was destroyed. Only a completed run allows it
 * (the worker destroys just before it appends the completion, while the run still blocks every
 * key ring change, and records right after). The record follows the act, so it is not refused
 * for anything that may have changed since (disable-all may already have started). Repeats are
 * absorbed by the command's
 * idempotency key (one per org and generation), so the decider needs no memory of them.
 */
function decidePlatformKeyDestroyed(command: RecordPlatformOrgKeyDestroyed, state: KeyringState): KeyringEvent[] {
  const { orgId, generation, reencryptionId } = command.data;
  if (!Number.isSafeInteger(generation) || generation < 1) {
    throw refuse('VALIDATION_FAILED', 'generation must be a positive integer', { field: 'generation', value: generation });
  }
  if (state.runs[reencryptionId] !== 'completed') {
    throw refuse('REENCRYPTION_NOT_RUNNING', 'Only a completed re-encryption allows destroying the platform key', { reencryptionId });
  }
  return [{ type: 'PlatformOrgKeyDestroyed', data: { orgId, generation, reencryptionId }, metadata: command.metadata }];
}

export const keyringDecider: Decider<KeyringCommand, KeyringEvent, KeyringState> = { initialState, evolve, decide };

// Decisions about the keys themselves: add, set default, disable one, disable all.

function decideAddKey(command: AddKey, state: KeyringState): KeyringEvent[] {
  const { orgId, keyId, roleArn, keyArn, resolvedKeyArn, edition, reencryptionId } = command.data;
  const { metadata } = command;
  if (!CMK_EDITIONS.includes(edition)) {
    throw refuse('EDITION_REQUIRED', 'Customer managed keys need the Enterprise or Business Critical edition', { edition });
  }
  if (keyId.length === 0 || keyId === PLATFORM_KEY_ID) {
    throw refuse('VALIDATION_FAILED', 'Invalid key id', { field: 'keyId', keyId });
  }
  if (findKey(state, keyId)) throw refuse('KEY_EXISTS', 'A key with this id already exists', { keyId });
  const nameRefusal = keyNameRefusal(state, command.data.name);
  if (nameRefusal) throw nameRefusal;
  validateRoleArn(roleArn);
  checkResolvedArn(keyArn, resolvedKeyArn);

  const name = normaliseKeyName(command.data.name);
  const added: KeyringEvent = {
    type: 'KeyAdded',
    data: { orgId, keyId, name, provider: 'aws-kms', roleArn, keyArn, resolvedKeyArn },
    metadata,
  };
  const isFirstCmk = state.defaultKeyId === PLATFORM_KEY_ID && !state.keys.some((key) => key.status === 'active');
  if (!isFirstCmk) return [added];

  // The first key takes over from the platform key: every existing data key moves to it, and
  // that must not overlap another run that is still moving data keys.
  const blocked = runningRefusal(state) ?? runIdRefusal(state, reencryptionId);
  if (blocked) throw blocked;
  return [
    added,
    { type: 'DefaultChanged', data: { orgId, from: PLATFORM_KEY_ID, to: keyId }, metadata },
    {
      type: 'ReencryptionStarted',
      data: { orgId, reencryptionId, from: [PLATFORM_KEY_ID], to: keyId, reason: 'first-key' },
      metadata,
    },
  ];
}

/**
 * The resolved ARN is what wraps data keys, so it must be a key ARN (never an alias, which can
 * be repointed) in the same partition, region and account as what the admin entered.
 */
function checkResolvedArn(keyArn: string, resolvedKeyArn: string): void {
  const entered = validateKeyArn(keyArn);
  const resolved = validateKeyArn(resolvedKeyArn, { allowAlias: false });
  const sameHome =
    entered.partition === resolved.partition && entered.region === resolved.region && entered.accountId === resolved.accountId;
  if (!sameHome || (entered.kind === 'key' && entered.resource !== resolved.resource)) {
    throw refuse('INVALID_KEY_ARN', 'The resolved key ARN does not belong to the key ARN entered', { keyArn, resolvedKeyArn });
  }
}

function decideSetDefault(command: SetDefaultKey, state: KeyringState): KeyringEvent[] {
  const { orgId, keyId } = command.data;
  const refusal = setDefaultRefusal(state, keyId);
  if (refusal) throw refusal;
  return [{ type: 'DefaultChanged', data: { orgId, from: state.defaultKeyId, to: keyId }, metadata: command.metadata }];
}

function decideDisableKey(command: DisableKey, state: KeyringState): KeyringEvent[] {
  const { orgId, keyId, destinationKeyId, reencryptionId } = command.data;
  const refusal =
    disableRefusal(state, keyId) ?? destinationRefusal(state, keyId, destinationKeyId) ?? runIdRefusal(state, reencryptionId);
  if (refusal) throw refusal;
  const { metadata } = command;
  return [
    { type: 'KeyDisabled', data: { orgId, keyId, reencryptTo: destinationKeyId }, metadata },
    {
      type: 'ReencryptionStarted',
      data: { orgId, reencryptionId, from: [keyId], to: destinationKeyId, reason: 'key-disabled' },
      metadata,
    },
  ];
}

/**
 * Keys already `disabling` (left so by a failed run) are included: their data keys still have
 * to move, and the platform key is the one destination that is always usable.
 */
function decideDisableAll(command: DisableAllKeys, state: KeyringState): KeyringEvent[] {
  const { orgId, reencryptionId } = command.data;
  const running = runningRefusal(state);
  if (running) throw running;
  const keyIds = state.keys.filter((key) => key.status !== 'disabled').map((key) => key.keyId);
  if (keyIds.length === 0) throw refuse('NO_KEYS', 'There is no customer managed key to disable');
  const idRefusal = runIdRefusal(state, reencryptionId);
  if (idRefusal) throw idRefusal;
  const { metadata } = command;
  const events: KeyringEvent[] = [{ type: 'AllKeysDisabled', data: { orgId, keyIds }, metadata }];
  if (state.defaultKeyId !== PLATFORM_KEY_ID) {
    events.push({ type: 'DefaultChanged', data: { orgId, from: state.defaultKeyId, to: PLATFORM_KEY_ID }, metadata });
  }
  events.push({
    type: 'ReencryptionStarted',
    data: { orgId, reencryptionId, from: keyIds, to: PLATFORM_KEY_ID, reason: 'all-keys-disabled' },
    metadata,
  });
  return events;
}

// Decisions about a re-encryption run's life: progress, completion, failure and retry. The
// worker fleet sends these, possibly more than once (job retries), so repeats are harmless.

function requireRunning(state: KeyringState, reencryptionId: string): ReencryptionRun {
  if (state.status === 'reencrypting' && state.run.reencryptionId === reencryptionId) return state.run;
  throw refuse('REENCRYPTION_NOT_RUNNING', 'This re-encryption is not running', {
    reencryptionId,
    runningId: state.status === 'reencrypting' ? state.run.reencryptionId : undefined,
  });
}

function checkCounts(counts: Readonly<Record<string, number>>): void {
  for (const [field, value] of Object.entries(counts)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw refuse('VALIDATION_FAILED', `${field} must be a non-negative integer`, { field, value });
    }
  }
}

/** Progress never goes backwards: a late or repeated report (stale job) is dropped, not refused. */
function decideProgress(command: RecordReencryptionProgress, state: KeyringState): KeyringEvent[] {
  const { orgId, reencryptionId, done, failed, total } = command.data;
  checkCounts({ done, failed, total });
  const run = requireRunning(state, reencryptionId);
  const stale = done < run.done || failed < run.failed;
  const unchanged = done === run.done && failed === run.failed && total === run.total;
  if (stale || unchanged) return [];
  return [{ type: 'ReencryptionProgressed', data: { orgId, reencryptionId, done, failed, total }, metadata: command.metadata }];
}

/** Finishing a run that already finished the same way is a no-op (the finalize job retried). */
function alreadyFinished(state: KeyringState, reencryptionId: string, outcome: RunOutcome): boolean {
  return state.runs[reencryptionId] === outcome;
}

function decideComplete(command: CompleteReencryption, state: KeyringState): KeyringEvent[] {
  const { orgId, reencryptionId, rewrapped, failed } = command.data;
  checkCounts({ rewrapped, failed });
  if (alreadyFinished(state, reencryptionId, 'completed')) return [];
  requireRunning(state, reencryptionId);
  return [{ type: 'ReencryptionCompleted', data: { orgId, reencryptionId, rewrapped, failed }, metadata: command.metadata }];
}

function decideFail(command: FailReencryption, state: KeyringState): KeyringEvent[] {
  const { orgId, reencryptionId, reason, rewrapped, failed, failuresByCode } = command.data;
  checkCounts({ rewrapped, failed, ...failuresByCode });
  if (alreadyFinished(state, reencryptionId, 'failed')) return [];
  requireRunning(state, reencryptionId);
  return [
    {
      type: 'ReencryptionFailed',
      data: { orgId, reencryptionId, reason, rewrapped, failed, failuresByCode: { ...failuresByCode } },
      metadata: command.metadata,
    },
  ];
}

/** A retry re-runs the last, failed run (same sources and target) under a new id. */
function decideRetry(command: RetryReencryption, state: KeyringState): KeyringEvent[] {
  const { orgId, reencryptionId } = command.data;
  const running = runningRefusal(state);
  if (running) throw running;
  const last = state.lastRun;
  if (last?.outcome !== 'failed') {
    throw refuse('REENCRYPTION_NOT_FAILED', 'Only a failed re-encryption can be retried', {
      lastReencryptionId: last?.reencryptionId,
      outcome: last?.outcome,
    });
  }
  if (!isUsableTarget(state, last.to)) {
    throw refuse('DESTINATION_INVALID', 'The failed run’s target key can no longer receive data keys', {
      reencryptionId: last.reencryptionId,
      to: last.to,
    });
  }
  const idRefusal = runIdRefusal(state, reencryptionId);
  if (idRefusal) throw idRefusal;
  return [
    {
      type: 'ReencryptionStarted',
      data: { orgId, reencryptionId, from: [...last.from], to: last.to, reason: 'retry', retryOf: last.reencryptionId },
      metadata: command.metadata,
    },
  ];
}
