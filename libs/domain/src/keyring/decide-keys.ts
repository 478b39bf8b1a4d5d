import { validateKeyArn, validateRoleArn } from '../shared/arn';
import { refuse } from '../shared/domain-error';
import { CMK_EDITIONS } from '../org/events';
import type { AddKey, DisableAllKeys, DisableKey, SetDefaultKey } from './commands';
import { PLATFORM_KEY_ID, type KeyringEvent } from './events';
import {
  destinationRefusal,
  disableRefusal,
  keyNameRefusal,
  normaliseKeyName,
  runIdRefusal,
  runningRefusal,
  setDefaultRefusal,
} from './rules';
import { findKey, type KeyringState } from './state';

/** Decisions about the keys themselves: add, set default, disable one, disable all. */

export function decideAddKey(command: AddKey, state: KeyringState): KeyringEvent[] {
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

export function decideSetDefault(command: SetDefaultKey, state: KeyringState): KeyringEvent[] {
  const { orgId, keyId } = command.data;
  const refusal = setDefaultRefusal(state, keyId);
  if (refusal) throw refusal;
  return [{ type: 'DefaultChanged', data: { orgId, from: state.defaultKeyId, to: keyId }, metadata: command.metadata }];
}

export function decideDisableKey(command: DisableKey, state: KeyringState): KeyringEvent[] {
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
export function decideDisableAll(command: DisableAllKeys, state: KeyringState): KeyringEvent[] {
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
