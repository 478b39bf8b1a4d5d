import type { Message } from '../shared/metadata';

/**
 * `wrapped` is the base64 ciphertext of the data key under the wrapping key; `kekRef` names the
 * exact provider key that produced it (a resolved key ARN for a CMK, never an alias; the platform
 * key's version for the platform key). The plaintext is never in an event.
 */
export type DataKeyIssued = Message<
  'DataKeyIssued',
  {
    orgId: string;
    dataKeyId: string;
    scope: string;
    wrappedBy: string;
    kekRef: string;
    wrapped: string;
    /** The data key's generation within its (org, scope), from 0. Absent (= 0) on data keys issued before generations. */
    generation?: number;
  }
>;

export type DataKeyRewrapped = Message<
  'DataKeyRewrapped',
  { orgId: string; dataKeyId: string; from: string; to: string; kekRef: string; wrapped: string; reencryptionId: string }
>;

/**
 * A process reserved uses (encryptions) of the data key: `upTo` is the new total reserved since
 * issue. Reservations are made in blocks before they are used, so the recorded total is never
 * below the encryptions really made under the key.
 */
export type DataKeyUseReserved = Message<'DataKeyUseReserved', { orgId: string; dataKeyId: string; upTo: number }>;

export type DataKeyEvent = DataKeyIssued | DataKeyRewrapped | DataKeyUseReserved;
