import { validateKeyArn, validateRoleArn } from '../shared/arn';
import { refuse, type DomainError } from '../shared/domain-error';
import { PLATFORM_KEY_ID } from './events';
import { findKey, isUnderReencryption, type KeyringState } from './state';

/**
 * The product rules that both `decide` and the read-side queries (`keyCanSetDefault`, ...) need.
 * Each returns the refusal, or `undefined` when the rule allows the action, so the API's
 * "can-set-default" flags can never disagree with what the decider will accept.
 */

export const KEY_NAME_MAX_LENGTH = 64;

/** Control, format (zero-width, bidi overrides) and lone surrogate characters: names are shown to people. */
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Cs}]/u;

export function normaliseKeyName(name: string): string {
  return name.trim();
}

export function keyNameRefusal(state: KeyringState, rawName: string): DomainError | undefined {
  const name = normaliseKeyName(rawName);
  if (name.length < 1 || name.length > KEY_NAME_MAX_LENGTH) {
    return refuse('INVALID_KEY_NAME', `Key name must be 1-${KEY_NAME_MAX_LENGTH} characters after trimming`, { name: rawName });
  }
  if (INVISIBLE_OR_CONTROL.test(name)) {
    return refuse('INVALID_KEY_NAME', 'Key name must not contain control, invisible or formatting characters', { name: rawName });
  }
  // Disabled keys keep their names: the audit trail must never show two keys with one name.
  const folded = name.toLowerCase();
  const taken = state.keys.find((key) => key.name.toLowerCase() === folded);
  if (taken) return refuse('KEY_NAME_TAKEN', `A key named "${taken.name}" already exists`, { name, keyId: taken.keyId });
  return undefined;
}

/**
 * Setting as default a key that is the source or target of the running run is refused with
 * `KEY_UNDER_REENCRYPTION` (not `REENCRYPTION_RUNNING`): other active keys may still become
 * default while a run is going on.
 */
export function setDefaultRefusal(state: KeyringState, keyId: string): DomainError | undefined {
  if (state.defaultKeyId === keyId) return refuse('KEY_IS_DEFAULT', 'The key is already the default', { keyId });
  const key = findKey(state, keyId);
  if (!key) return refuse('KEY_NOT_FOUND', 'No such key', { keyId });
  if (key.status !== 'active') return refuse('KEY_NOT_ACTIVE', 'Only an active key can become the default', { keyId, status: key.status });
  if (isUnderReencryption(state, keyId)) {
    return refuse('KEY_UNDER_REENCRYPTION', 'The key is part of the running re-encryption', { keyId, reencryptionId: runId(state) });
  }
  return undefined;
}

/** Whether `keyId` may be disabled at all, whatever destination the admin picks. */
export function disableRefusal(state: KeyringState, keyId: string): DomainError | undefined {
  const key = findKey(state, keyId);
  if (!key) return refuse('KEY_NOT_FOUND', 'No such key', { keyId });
  if (state.defaultKeyId === keyId) return refuse('KEY_IS_DEFAULT', 'The default key cannot be disabled; set another default first', { keyId });
  if (key.status !== 'active') return refuse('KEY_NOT_ACTIVE', 'The key is already disabled', { keyId, status: key.status });
  return runningRefusal(state) ?? retryPendingRefusal(state);
}

/**
 * After a failed run, its sources stay `disabling` with some data keys still under them, and
 * only the last run can be retried. Starting another disable first would make the failed run
 * unretryable, so it is refused until the admin retries (or disables all keys, which sweeps
 * every disabling key).
 */
export function retryPendingRefusal(state: KeyringState): DomainError | undefined {
  const last = state.lastRun;
  if (last?.outcome !== 'failed') return undefined;
  const stranded = last.from.filter((keyId) => findKey(state, keyId)?.status === 'disabling');
  if (stranded.length === 0) return undefined;
  return refuse('REENCRYPTION_RETRY_PENDING', 'The last re-encryption failed: retry it (after fixing access to the keys) or disable all keys first', {
    reencryptionId: last.reencryptionId,
    keyIds: stranded,
  });
}

export function destinationRefusal(state: KeyringState, keyId: string, destinationKeyId: string): DomainError | undefined {
  if (destinationKeyId === keyId || !isUsableTarget(state, destinationKeyId)) {
    return refuse('DESTINATION_INVALID', 'The re-encryption key must be the platform key or another active key', {
      keyId,
      destinationKeyId,
    });
  }
  return undefined;
}

export function runningRefusal(state: KeyringState): DomainError | undefined {
  if (state.status !== 'reencrypting') return undefined;
  return refuse('REENCRYPTION_RUNNING', 'A re-encryption is already running for this organisation', {
    reencryptionId: state.run.reencryptionId,
  });
}

/** A key that may receive rewrapped data keys: the platform key, or an active CMK. */
export function isUsableTarget(state: KeyringState, keyId: string): boolean {
  return keyId === PLATFORM_KEY_ID || findKey(state, keyId)?.status === 'active';
}

/** Run ids name BullMQ jobs: reusing one would let a replay skip the work of a new run. */
export function runIdRefusal(state: KeyringState, reencryptionId: string): DomainError | undefined {
  if (reencryptionId.trim().length === 0) {
    return refuse('VALIDATION_FAILED', 'A re-encryption id is required', { field: 'reencryptionId' });
  }
  if (state.runs[reencryptionId] !== undefined) {
    return refuse('VALIDATION_FAILED', 'This re-encryption id was already used', { field: 'reencryptionId', reencryptionId });
  }
  return undefined;
}

function runId(state: KeyringState): string | undefined {
  return state.status === 'reencrypting' ? state.run.reencryptionId : undefined;
}

/**
 * The key ARN `AddKey` is checked against before KMS has resolved what the admin entered: the
 * key ARN itself, or for an alias a stand-in key ARN of the same partition, region and account
 * (the decider insists on a key ARN there). Refuses a malformed role ARN, then a malformed key
 * ARN, exactly as `AddKey` would, so the request fails before any KMS round trip.
 */
export function standInKeyArn(roleArn: string, keyArn: string): string {
  validateRoleArn(roleArn);
  const parts = validateKeyArn(keyArn, { allowAlias: true });
  return parts.kind === 'key' ? keyArn : `arn:${parts.partition}:kms:${parts.region}:${parts.accountId}:key/00000000-0000-4000-8000-000000000000`;
}
