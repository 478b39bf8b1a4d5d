import type { Message } from '../shared/metadata';
import type { Edition } from '../org/events';

/**
 * Key ring commands. Everything the decider cannot know by itself arrives here: the org's
 * edition (checked against the org stream by the handler), the KMS-resolved key ARN (verified
 * before `decide`), new ids (`keyId`, `reencryptionId`) and time (`metadata.occurredAt`).
 */
export type AddKey = Message<
  'AddKey',
  {
    orgId: string;
    keyId: string;
    name: string;
    roleArn: string;
    keyArn: string;
    resolvedKeyArn: string;
    edition: Edition;
    /** Used only when this key is the first one and starts the re-encryption off `platform`. */
    reencryptionId: string;
  }
>;

export type SetDefaultKey = Message<'SetDefaultKey', { orgId: string; keyId: string }>;

export type DisableKey = Message<
  'DisableKey',
  { orgId: string; keyId: string; destinationKeyId: string; reencryptionId: string }
>;

export type DisableAllKeys = Message<'DisableAllKeys', { orgId: string; reencryptionId: string }>;

export type RecordReencryptionProgress = Message<
  'RecordReencryptionProgress',
  { orgId: string; reencryptionId: string; done: number; failed: number; total: number }
>;

export type CompleteReencryption = Message<
  'CompleteReencryption',
  { orgId: string; reencryptionId: string; rewrapped: number; failed: number }
>;

export type FailReencryption = Message<
  'FailReencryption',
  {
    orgId: string;
    reencryptionId: string;
    reason: string;
    rewrapped: number;
    failed: number;
    failuresByCode: Record<string, number>;
  }
>;

/** `reencryptionId` is the id of the new run; the failed run it continues is found in state. */
export type RetryReencryption = Message<'RetryReencryption', { orgId: string; reencryptionId: string }>;

export type KeyringCommand =
  | AddKey
  | SetDefaultKey
  | DisableKey
  | DisableAllKeys
  | RecordReencryptionProgress
  | CompleteReencryption
  | FailReencryption
  | RetryReencryption;
