import { findKey, parseKeyArn, PLATFORM_KEY_ID, type KeyringState } from '@cmk/domain';
import { LRUCache } from 'lru-cache';
import type { CustomerKmsKeys } from './aws/customer-kms-keys';
import { kmsError } from './errors';
import type { KeyEncryptionProvider } from './port';
import { generationOfKekRef, OrgPlatformKeyProvider } from './org-platform/org-platform-provider';
import type { OrgPlatformKeys } from './org-platform/org-platform-keys';
import type { DataKeyIdKey } from './platform/data-key-id-key';

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

/**
 * The one place that turns a key ring entry into a {@link KeyEncryptionProvider}. Providers are
 * cached (they are cheap, but their clients and sessions are not, and those live underneath).
 */
export class KeyProviderRegistry {
  private readonly cache: LRUCache<string, KeyEncryptionProvider>;

  constructor(
    private readonly platform: KeyEncryptionProvider,
    private readonly customerKeys: CustomerKmsKeys,
    /**
     * Org platform keys (crypto-shredding). When absent, `platform` means the master key itself
     * (the layout before org keys; kept for tools that read old stores).
     */
    readonly orgKeys?: OrgPlatformKeys,
    /** Cached customer providers. Default 10 000. */
    maxCached = 10_000,
    /** The server secret data-key ids are derived under (kept with the platform keys). */
    readonly dataKeyIdKey?: DataKeyIdKey,
  ) {
    this.cache = new LRUCache({ max: maxCached });
  }

  /** The platform master key (it wraps org platform keys, and data keys written before them). */
  get platformProvider(): KeyEncryptionProvider {
    return this.platform;
  }

  /**
   * Whether a fresh wrap recorded with `kekRef` is still under a key that exists: false once the
   * org platform key generation it names was destroyed. Issuers check this after appending.
   */
  async isWrapLive(orgId: string, kekRef: string): Promise<boolean> {
    const generation = generationOfKekRef(kekRef);
    if (generation === undefined || !this.orgKeys) return true;
    return this.orgKeys.isLive(orgId, generation);
  }

  providerFor(request: ProviderRequest): KeyEncryptionProvider {
    if (request.wrappedBy === PLATFORM_KEY_ID) return this.orgKeys ? new OrgPlatformKeyProvider(request.orgId, this.orgKeys) : this.platform;
    const { orgId, roleArn, resolvedKeyArn } = request;
    if (!roleArn || !resolvedKeyArn) {
      throw kmsError('INVALID_KEY_ARN', `Key ${request.wrappedBy} needs a role ARN and a resolved key ARN`, { keyId: request.wrappedBy, orgId });
    }
    const cacheKey = `${orgId}\n${roleArn}\n${resolvedKeyArn}`;
    let provider = this.cache.get(cacheKey);
    if (!provider) {
      provider = this.customerKeys.provider(orgId, roleArn, resolvedKeyArn);
      this.cache.set(cacheKey, provider);
    }
    return provider;
  }
}
