import type { Message } from '../shared/metadata';

/**
 * Data key commands. The wrapping itself (KMS / local AES-GCM) happens before `decide`; only
 * its result enters: `wrapped` (base64 ciphertext) and `kekRef` (the exact key that made it).
 */
export type IssueDataKey = Message<
  'IssueDataKey',
  { orgId: string; dataKeyId: string; scope: string; wrappedBy: string; kekRef: string; wrapped: string }
>;

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

export type DataKeyCommand = IssueDataKey | RewrapDataKey;
