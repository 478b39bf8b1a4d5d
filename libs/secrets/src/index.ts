export { SECRETS_ERROR_CODES, secretsError, type SecretsErrorCode } from './errors';
export { SCOPE_PATTERN, DATA_KEY_ID_PATTERN, validateScope, dataKeyIdFor } from './scope';
export { ENVELOPE_VERSION, NONCE_BYTES, TAG_BYTES, formatEnvelope, parseEnvelope, envelopeAad, sealValue, openValue, type ParsedEnvelope } from './envelope';
export { DataKeyCache, CachedDataKey, DEFAULT_DATA_KEY_CACHE_TTL_MS, DEFAULT_DATA_KEY_CACHE_MAX, type DataKeyCacheOptions } from './data-key-cache';
export { KeyringReader, type KeyringReaderOptions } from './keyring-reader';
export { DataKeyRepository } from './data-keys';
export { DEFAULT_SECRETS_LIMITS, type SecretsLimits } from './limits';
export { SecretsService, type SecretsServiceOptions } from './secrets-service';
export { readSecretsConfig } from './config';
