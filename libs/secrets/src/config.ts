import type { EnvReader } from '@cmk/runtime';
import { DEFAULT_DATA_KEY_CACHE_MAX, DEFAULT_DATA_KEY_CACHE_TTL_MS } from './data-key-cache';
import type { SecretsServiceOptions } from './secrets-service';

/**
 * Reads the secrets settings through the app's {@link EnvReader} (problems are collected, not
 * thrown): `CMK_DATA_KEY_CACHE_TTL_MS` (default 300 000, 0-86 400 000; 0 effectively disables
 * caching), `CMK_DATA_KEY_CACHE_MAX` (default 10 000) and `CMK_KEYRING_CACHE_TTL_MS` (default 5 000).
 */
export function readSecretsConfig(reader: EnvReader): SecretsServiceOptions {
  return {
    cache: {
      ttlMs: Math.max(1, reader.int('CMK_DATA_KEY_CACHE_TTL_MS', DEFAULT_DATA_KEY_CACHE_TTL_MS, 0, 86_400_000)),
      max: reader.int('CMK_DATA_KEY_CACHE_MAX', DEFAULT_DATA_KEY_CACHE_MAX, 1, 10_000_000),
    },
    keyring: { ttlMs: Math.max(1, reader.int('CMK_KEYRING_CACHE_TTL_MS', 5_000, 0, 600_000)) },
  };
}
