import type { Principal } from '../auth/principal';

/**
 * What a member (or auditor) reads instead of a key-provider failure's message and details. Those
 * name the role ARN, the key ARN and AWS's own message: an admin needs them to fix the key, a
 * member can only pass the word on. So members get the stable code and one plain sentence, and
 * admins (and the operator) get everything.
 */
const FOR_MEMBERS: Readonly<Record<string, string>> = {
  KMS_ROLE_NOT_ASSUMABLE: "Your organization's encryption key cannot be used: its AWS role does not accept this service. Ask an organization admin to check the key.",
  KMS_ACCESS_DENIED: "Your organization's encryption key cannot be used: its key policy does not allow this service. Ask an organization admin to check the key.",
  KMS_KEY_DISABLED: "Your organization's encryption key is disabled. Ask an organization admin to enable it.",
  KMS_KEY_PENDING_DELETION: "Your organization's encryption key is scheduled for deletion. Ask an organization admin to cancel the deletion.",
  KMS_KEY_NOT_FOUND: "Your organization's encryption key no longer exists. Ask an organization admin to check the key.",
  KMS_INVALID_CIPHERTEXT: "Your organization's encryption key could not unwrap this data key. Ask an organization admin to check the key.",
  KMS_REQUEST_REJECTED: "The key service refused the request. Ask an organization admin to check the key.",
  KMS_CONTEXT_MISMATCH: 'The request could not be completed for this organization.',
  PLATFORM_KEY_DESTROYED: 'This data was protected by a platform key that has been destroyed; it can no longer be decrypted.',
  KMS_THROTTLED: 'The key service is busy; retry shortly.',
  KMS_UNAVAILABLE: 'The key service cannot be reached right now; retry shortly.',
  WRAPPING_KEY_UNAVAILABLE: "Your organization's encryption key cannot protect data right now; retry shortly, or ask an organization admin.",
};

/**
 * The plain sentence for `code` when `principal` is an org user below admin; `undefined` when the
 * caller may read the full message (admins, the operator) or the code has nothing to hide.
 */
export function plainSentenceFor(principal: Principal | undefined, code: string): string | undefined {
  if (principal?.kind !== 'user' || principal.role === 'admin') return undefined;
  return FOR_MEMBERS[code];
}
