import type { Message } from '../shared/metadata';

/** The platform-managed key's id wherever a key id is expected (`wrappedBy`, `to`, `from`). */
export const PLATFORM_KEY_ID = 'platform';

export type ReencryptionReason = 'first-key' | 'key-disabled' | 'all-keys-disabled' | 'retry';

export type KeyAdded = Message<
  'KeyAdded',
  {
    orgId: string;
    keyId: string;
    name: string;
    provider: 'aws-kms';
    roleArn: string;
    /** As the admin entered it: a key ARN or an alias ARN (kept for display). */
    keyArn: string;
    /** The key ARN KMS resolved it to at verification time; what wraps data keys. */
    resolvedKeyArn: string;
  }
>;

export type DefaultChanged = Message<'DefaultChanged', { orgId: string; from: string; to: string }>;

export type KeyDisabled = Message<'KeyDisabled', { orgId: string; keyId: string; reencryptTo: string }>;

export type AllKeysDisabled = Message<'AllKeysDisabled', { orgId: string; keyIds: string[] }>;

export type ReencryptionStarted = Message<
  'ReencryptionStarted',
  {
    orgId: string;
    reencryptionId: string;
    /** Key ids whose data keys are rewrapped (`platform` for the first key). */
    from: string[];
    to: string;
    reason: ReencryptionReason;
    /** The run a retry continues, when `reason` is `retry`. */
    retryOf?: string;
  }
>;

export type ReencryptionProgressed = Message<
  'ReencryptionProgressed',
  { orgId: string; reencryptionId: string; done: number; failed: number; total: number }
>;

export type ReencryptionCompleted = Message<
  'ReencryptionCompleted',
  { orgId: string; reencryptionId: string; rewrapped: number; failed: number }
>;

export type ReencryptionFailed = Message<
  'ReencryptionFailed',
  {
    orgId: string;
    reencryptionId: string;
    reason: string;
    rewrapped: number;
    failed: number;
    /** Failure counts by stable error code, e.g. `{ KMS_ACCESS_DENIED: 12 }`. */
    failuresByCode: Record<string, number>;
  }
>;

/**
 * The org's platform key generation `generation` was destroyed (crypto-shredding): from then on
 * no platform path can unwrap any copy of this org's data keys wrapped under it. Allowed by the
 * completed run `reencryptionId` that left no data key under the platform key. No key bytes.
 */
export type PlatformOrgKeyDestroyed = Message<'PlatformOrgKeyDestroyed', { orgId: string; generation: number; reencryptionId: string }>;

export type KeyringEvent =
  | KeyAdded
  | DefaultChanged
  | KeyDisabled
  | AllKeysDisabled
  | ReencryptionStarted
  | ReencryptionProgressed
  | ReencryptionCompleted
  | ReencryptionFailed
  | PlatformOrgKeyDestroyed;

export type KeyringEventType = KeyringEvent['type'];
