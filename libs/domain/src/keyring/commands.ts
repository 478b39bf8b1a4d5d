import type { Message } from '../shared/metadata';
import type { Edition } from '../org/events';
import type { PlatformOrgKeyDestroyed, ReencryptionCompleted, ReencryptionFailed, ReencryptionProgressed } from './events';

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

// The worker reports a run's outcome with exactly the payload the resulting event records.
export type RecordReencryptionProgress = Message<'RecordReencryptionProgress', ReencryptionProgressed['data']>;

export type CompleteReencryption = Message<'CompleteReencryption', ReencryptionCompleted['data']>;

export type FailReencryption = Message<'FailReencryption', ReencryptionFailed['data']>;

/** `reencryptionId` is the id of the new run; the failed run it continues is found in state. */
export type RetryReencryption = Message<'RetryReencryption', { orgId: string; reencryptionId: string }>;

/** Sent by the worker once it has destroyed the generation (the fact follows the act). */
export type RecordPlatformOrgKeyDestroyed = Message<'RecordPlatformOrgKeyDestroyed', PlatformOrgKeyDestroyed['data']>;

export type KeyringCommand =
  | AddKey
  | SetDefaultKey
  | DisableKey
  | DisableAllKeys
  | RecordReencryptionProgress
  | CompleteReencryption
  | FailReencryption
  | RetryReencryption
  | RecordPlatformOrgKeyDestroyed;
