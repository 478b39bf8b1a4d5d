import type { DataKeyState } from './state';

/**
 * When a data key stops encrypting (AES-GCM with random 96-bit nonces is safe for about 2^32
 * encryptions under one key, NIST SP 800-38D § 8.3). A retired data key still decrypts; its
 * scope's next encryption issues the next generation.
 */
export interface DataKeyUsePolicy {
  /** Encryptions per data key (reserved, so counted from above). */
  readonly maxUses: number;
  /** Age after which a data key stops encrypting, in ms since its issue. */
  readonly maxAgeMs: number;
  /** Uses a process reserves at a time (one event store append per block). At most `maxUses`. */
  readonly reserveBlock: number;
}

type Issued = DataKeyState & { status: 'issued' };

/** Epoch ms from which `state` no longer encrypts because of its age. */
export function retiresAt(state: Issued, policy: DataKeyUsePolicy): number {
  return Date.parse(state.issuedAt) + policy.maxAgeMs;
}

/** Whether the next block of uses would pass the limit: the key is spent for encryption. */
export function isSpent(state: Issued, policy: DataKeyUsePolicy): boolean {
  return state.reservedUses + policy.reserveBlock > policy.maxUses;
}

/** Whether new secrets may be encrypted under `state` at `nowMs` (neither spent nor too old). */
export function encryptsAt(state: Issued, policy: DataKeyUsePolicy, nowMs: number): boolean {
  return !isSpent(state, policy) && nowMs < retiresAt(state, policy);
}
