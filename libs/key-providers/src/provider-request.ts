import { findKey, parseKeyArn, PLATFORM_KEY_ID, type KeyringState } from '@cmk/domain';

/** Which key wrapped (or is to wrap) a data key: as recorded on the key ring and data key events. */
export interface ProviderRequest {
  readonly orgId: string;
  /** `platform` or a CMK id. */
  readonly wrappedBy: string;
  /** The CMK's role; required unless `wrappedBy` is `platform`. */
  readonly roleArn?: string;
  /** The CMK's resolved key ARN; required unless `wrappedBy` is `platform`. */
  readonly resolvedKeyArn?: string;
}

/**
 * The one key → provider-request mapping, shared by secrets (issue, unwrap) and re-encryption
 * (rewrap): the platform key needs nothing more; a CMK brings the role and key ARN recorded on
 * the key ring. `kekRef` (the exact KMS key ARN an existing wrap names) wins over the ring's
 * resolved ARN, so a wrap is always unwrapped by the key that made it. A key the ring does not
 * know yields a request without ARNs, which the registry refuses with `INVALID_KEY_ARN`.
 */
export function providerRequestFor(state: KeyringState, orgId: string, keyId: string, kekRef?: string): ProviderRequest {
  if (keyId === PLATFORM_KEY_ID) return { orgId, wrappedBy: keyId };
  const key = findKey(state, keyId);
  return { orgId, wrappedBy: keyId, roleArn: key?.roleArn, resolvedKeyArn: kekRef && parseKeyArn(kekRef)?.kind === 'key' ? kekRef : key?.resolvedKeyArn };
}
