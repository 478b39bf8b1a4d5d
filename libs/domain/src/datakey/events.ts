import type { Message } from '../shared/metadata';

/**
 * `wrapped` is the base64 ciphertext of the data key under the wrapping key; `kekRef` names the
 * exact provider key that produced it (a resolved key ARN for a CMK, never an alias; the platform
 * key's version for the platform key). The plaintext is never in an event.
 */
export type DataKeyIssued = Message<
  'DataKeyIssued',
  { orgId: string; dataKeyId: string; scope: string; wrappedBy: string; kekRef: string; wrapped: string }
>;

export type DataKeyRewrapped = Message<
  'DataKeyRewrapped',
  { orgId: string; dataKeyId: string; from: string; to: string; kekRef: string; wrapped: string; reencryptionId: string }
>;

export type DataKeyEvent = DataKeyIssued | DataKeyRewrapped;
