import type { AddKey, CompleteReencryption, DisableAllKeys, DisableKey, FailReencryption, RecordReencryptionProgress, RetryReencryption, SetDefaultKey, KeyringEvent } from '@cmk/domain';
import { meta } from './given-when-then';

/** Builders for key ring specs: one org, readable ids, valid ARNs unless a spec overrides them. */
export const ORG = 'acme';
const M = meta();

export const roleArn = 'arn:aws:iam::123456789012:role/cmk-access';
export const keyArnOf = (keyId: string): string => `arn:aws:kms:us-east-1:123456789012:key/${keyId}-0000`;

export function addKey(keyId: string, overrides: Partial<AddKey['data']> = {}): AddKey {
  return {
    type: 'AddKey',
    data: {
      orgId: ORG,
      keyId,
      name: `Key ${keyId}`,
      roleArn,
      keyArn: keyArnOf(keyId),
      resolvedKeyArn: keyArnOf(keyId),
      edition: 'enterprise',
      reencryptionId: `re-${keyId}`,
      ...overrides,
    },
    metadata: M,
  };
}

export const setDefault = (keyId: string): SetDefaultKey => ({ type: 'SetDefaultKey', data: { orgId: ORG, keyId }, metadata: M });

export const disableKey = (keyId: string, destinationKeyId: string, reencryptionId = `re-off-${keyId}`): DisableKey => ({
  type: 'DisableKey',
  data: { orgId: ORG, keyId, destinationKeyId, reencryptionId },
  metadata: M,
});

export const disableAll = (reencryptionId = 're-all'): DisableAllKeys => ({ type: 'DisableAllKeys', data: { orgId: ORG, reencryptionId }, metadata: M });

export const progress = (reencryptionId: string, done: number, failed: number, total: number): RecordReencryptionProgress => ({
  type: 'RecordReencryptionProgress',
  data: { orgId: ORG, reencryptionId, done, failed, total },
  metadata: M,
});

export const complete = (reencryptionId: string, rewrapped = 10, failed = 0): CompleteReencryption => ({
  type: 'CompleteReencryption',
  data: { orgId: ORG, reencryptionId, rewrapped, failed },
  metadata: M,
});

export const fail = (reencryptionId: string, reason = 'kms access denied'): FailReencryption => ({
  type: 'FailReencryption',
  data: { orgId: ORG, reencryptionId, reason, rewrapped: 3, failed: 2, failuresByCode: { KMS_ACCESS_DENIED: 2 } },
  metadata: M,
});

export const retry = (reencryptionId: string): RetryReencryption => ({ type: 'RetryReencryption', data: { orgId: ORG, reencryptionId }, metadata: M });

// Events, as the decider emits them.
export function keyAdded(keyId: string, name = `Key ${keyId}`): KeyringEvent {
  return {
    type: 'KeyAdded',
    data: { orgId: ORG, keyId, name, provider: 'aws-kms', roleArn, keyArn: keyArnOf(keyId), resolvedKeyArn: keyArnOf(keyId) },
    metadata: M,
  };
}
export const defaultChanged = (from: string, to: string): KeyringEvent => ({ type: 'DefaultChanged', data: { orgId: ORG, from, to }, metadata: M });
export const keyDisabled = (keyId: string, reencryptTo: string): KeyringEvent => ({
  type: 'KeyDisabled',
  data: { orgId: ORG, keyId, reencryptTo },
  metadata: M,
});
export const allKeysDisabled = (keyIds: string[]): KeyringEvent => ({ type: 'AllKeysDisabled', data: { orgId: ORG, keyIds }, metadata: M });
export function started(
  reencryptionId: string,
  from: string[],
  to: string,
  reason: 'first-key' | 'key-disabled' | 'all-keys-disabled' | 'retry',
  retryOf?: string,
): KeyringEvent {
  return {
    type: 'ReencryptionStarted',
    data: { orgId: ORG, reencryptionId, from, to, reason, ...(retryOf ? { retryOf } : {}) },
    metadata: M,
  };
}
export const progressed = (reencryptionId: string, done: number, failed: number, total: number): KeyringEvent => ({
  type: 'ReencryptionProgressed',
  data: { orgId: ORG, reencryptionId, done, failed, total },
  metadata: M,
});
export const completed = (reencryptionId: string, rewrapped = 10, failed = 0): KeyringEvent => ({
  type: 'ReencryptionCompleted',
  data: { orgId: ORG, reencryptionId, rewrapped, failed },
  metadata: M,
});
export const failed = (reencryptionId: string, reason = 'kms access denied'): KeyringEvent => ({
  type: 'ReencryptionFailed',
  data: { orgId: ORG, reencryptionId, reason, rewrapped: 3, failed: 2, failuresByCode: { KMS_ACCESS_DENIED: 2 } },
  metadata: M,
});

/** History: k1 added as the first key and its platform run completed. */
export const firstKeyDone = (): KeyringEvent[] => [
  keyAdded('k1'),
  defaultChanged('platform', 'k1'),
  started('re-k1', ['platform'], 'k1', 'first-key'),
  completed('re-k1'),
];
