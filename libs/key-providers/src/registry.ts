import { PLATFORM_KEY_ID } from '@cmk/domain';
import { LRUCache } from 'lru-cache';
import type { CustomerKmsKeys } from './aws/customer-kms-keys';
import { kmsError } from './errors';
import type { KeyEncryptionProvider } from './port';
import type { ProviderRequest } from './provider-request';

/**
 * The one place that turns a key ring entry into a {@link KeyEncryptionProvider}. Providers are
 * cached (they are cheap, but their clients and sessions are not, and those live underneath).
 */
export class KeyProviderRegistry {
  private readonly cache: LRUCache<string, KeyEncryptionProvider>;

  constructor(
    private readonly platform: KeyEncryptionProvider,
    private readonly customerKeys: CustomerKmsKeys,
    /** Cached customer providers. Default 10 000. */
    maxCached = 10_000,
  ) {
    this.cache = new LRUCache({ max: maxCached });
  }

  get platformProvider(): KeyEncryptionProvider {
    return this.platform;
  }

  providerFor(request: ProviderRequest): KeyEncryptionProvider {
    if (request.wrappedBy === PLATFORM_KEY_ID) return this.platform;
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
