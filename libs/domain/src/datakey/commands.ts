import type { Message } from '../shared/metadata';

/**
 * Data key commands. The wrapping itself (KMS / local AES-GCM) happens before `decide`; only
 * its result enters: `wrapped` (base64 ciphertext) and `kekRef` (the exact key that made it).
 */
export type IssueDataKey = Message<
  'IssueDataKey',
  { orgId: string; dataKeyId: string; scope: string; wrappedBy: string; kekRef: string; wrapped: string; generation?: number }
>;

/**
 * Reserves `count` more uses of the data key, refused with `DATA_KEY_USE_EXHAUSTED` when the
 * total reserved would pass `limit` (the caller's configured maximum encryptions per data key).
 */
export type ReserveDataKeyUse = Message<'ReserveDataKeyUse', { orgId: string; dataKeyId: string; count: number; limit: number }>;

export type RewrapDataKey = Message<
  'RewrapDataKey',
  {
    orgId: string;
    dataKeyId: string;
    reencryptionId: string;
    /** The run's source key ids: the data key is rewrapped only while one of them wraps it. */
    sources: string[];
    to: string;
    kekRef: string;
    wrapped: string;
  }
>;

/**
 * Moves a data key wrapped directly by a platform master key version (written before org
 * platform keys) under its org's platform key. `fromKekRef` is the wrap it was read with: the
 * data key is moved only while it is still exactly that one.
 */
export type UpgradePlatformWrapping = Message<
  'UpgradePlatformWrapping',
  { orgId: string; dataKeyId: string; fromKekRef: string; kekRef: string; wrapped: string; migrationId: string }
>;

export type DataKeyCommand = IssueDataKey | RewrapDataKey | UpgradePlatformWrapping | ReserveDataKeyUse;
