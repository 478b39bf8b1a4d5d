import type { EnvReader } from '@cmk/runtime';
import { DEFAULT_DATA_KEY_CACHE_MAX, DEFAULT_DATA_KEY_CACHE_MAX_PER_ORG, DEFAULT_DATA_KEY_CACHE_TTL_MS } from './data-key-cache';
import { DEFAULT_MAX_DATA_KEYS_PER_ORG } from './data-key-quota';
import { DEFAULT_DATA_KEY_USE_POLICY } from './limits';
import type { SecretsServiceOptions } from './secrets-service';

/**
 * Reads the secrets settings through the app's {@link EnvReader} (problems are collected, not
 * thrown): `CMK_DATA_KEY_CACHE_TTL_MS` (default 300 000, 0-86 400 000; 0 effectively disables
 * caching), `CMK_DATA_KEY_CACHE_MAX` (default 10 000), `CMK_DATA_KEY_CACHE_MAX_PER_ORG` (default
 * 1 000), `CMK_KEYRING_CACHE_TTL_MS` (default 5 000), `CMK_MAX_DATA_KEYS_PER_ORG` (default
 * 10 000), `CMK_DATA_KEY_MAX_USES` (default 2^28), `CMK_DATA_KEY_MAX_AGE_MS` (default 90 days)
 * and `CMK_DATA_KEY_RESERVE_BLOCK` (default 2^20).
 */
export function readSecretsConfig(reader: EnvReader): SecretsServiceOptions {
  const defaults = DEFAULT_DATA_KEY_USE_POLICY;
  return {
    cache: {
      ttlMs: Math.max(1, reader.int('CMK_DATA_KEY_CACHE_TTL_MS', DEFAULT_DATA_KEY_CACHE_TTL_MS, 0, 86_400_000)),
      max: reader.int('CMK_DATA_KEY_CACHE_MAX', DEFAULT_DATA_KEY_CACHE_MAX, 1, 10_000_000),
      maxPerOrg: reader.int('CMK_DATA_KEY_CACHE_MAX_PER_ORG', DEFAULT_DATA_KEY_CACHE_MAX_PER_ORG, 1, 10_000_000),
    },
    keyring: { ttlMs: Math.max(1, reader.int('CMK_KEYRING_CACHE_TTL_MS', 5_000, 0, 600_000)) },
    maxDataKeysPerOrg: reader.int('CMK_MAX_DATA_KEYS_PER_ORG', DEFAULT_MAX_DATA_KEYS_PER_ORG, 1, 100_000_000),
    dataKeyUse: {
      // Up to 2^32: NIST SP 800-38D's bound for random 96-bit nonces under one key.
      maxUses: reader.int('CMK_DATA_KEY_MAX_USES', defaults.maxUses, 1, 2 ** 32),
      maxAgeMs: reader.int('CMK_DATA_KEY_MAX_AGE_MS', defaults.maxAgeMs, 1_000, 10 * 365 * 24 * 60 * 60 * 1000),
      reserveBlock: reader.int('CMK_DATA_KEY_RESERVE_BLOCK', defaults.reserveBlock, 1, 2 ** 32),
    },
  };
}
