export { SECRETS_ERROR_CODES, secretsError, type SecretsErrorCode } from './errors';
export { SCOPE_PATTERN, DATA_KEY_ID_PATTERN, validateScope, dataKeyIdFor, legacyDataKeyIdFor } from './scope';
export { ENVELOPE_VERSION, NONCE_BYTES, TAG_BYTES, formatEnvelope, parseEnvelope, envelopeAad, sealValue, openValue, type ParsedEnvelope } from './envelope';
export {
  DataKeyCache,
  CachedDataKey,
  UseCounter,
  DEFAULT_DATA_KEY_CACHE_TTL_MS,
  DEFAULT_DATA_KEY_CACHE_MAX,
  DEFAULT_DATA_KEY_CACHE_MAX_PER_ORG,
  type DataKeyCacheOptions,
} from './data-key-cache';
export { DataKeyQuota, DEFAULT_MAX_DATA_KEYS_PER_ORG } from './data-key-quota';
export { KeyringReader, type KeyringReaderOptions } from './keyring-reader';
export { DataKeyRepository, type DataKeyRepositoryOptions } from './data-keys';
export { DEFAULT_SECRETS_LIMITS, DEFAULT_DATA_KEY_USE_POLICY, FIRST_RESERVATION, type SecretsLimits } from './limits';
export { SecretsService, type SecretsServiceOptions } from './secrets-service';
export { blockedByHealth, type NewDataKeyGate } from './new-data-key-gate';
export { readSecretsConfig } from './config';
