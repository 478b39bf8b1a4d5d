import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@cmk/eventstore';
import { KeyHealthGate } from '@cmk/key-health';
import type { KeyProviders } from '@cmk/key-providers';
import { EnvReader } from '@cmk/runtime';
import { readSecretsConfig, SecretsService, type SecretsServiceOptions } from '@cmk/secrets';
import type { ApiMetrics } from '../ops/api-metrics';
import { API_METRICS, KEY_PROVIDERS } from '../tokens';
import { SECRETS_COMMAND_HANDLERS } from './commands';
import { DataKeysController, SecretsController } from './secrets.controller';

export interface SecretsModuleOptions {
  /**
   * Data key cache, key ring cache and data-key bounds. Default: read from the environment
   * (`CMK_DATA_KEY_CACHE_TTL_MS` 300 000, `CMK_DATA_KEY_CACHE_MAX` 10 000,
   * `CMK_DATA_KEY_CACHE_MAX_PER_ORG` 1 000, `CMK_KEYRING_CACHE_TTL_MS` 5 000,
   * `CMK_MAX_DATA_KEYS_PER_ORG` 10 000, `CMK_DATA_KEY_MAX_USES` 2^28, `CMK_DATA_KEY_MAX_AGE_MS`
   * 90 days, `CMK_DATA_KEY_RESERVE_BLOCK` 2^20). Prefer `readSecretsConfig` in `loadApiConfig`.
   */
  readonly options?: SecretsServiceOptions;
}

/**
 * `POST /api/orgs/:org/secrets/{encrypt,decrypt}` and `GET /api/orgs/:org/data-keys/summary`.
 * Needs `EVENT_STORE` and `ReadModelQueries` (InfrastructureModule), `KEY_PROVIDERS`
 * (OidcModule) and the CqrsModule.
 */
@Module({})
export class SecretsModule implements OnApplicationShutdown {
  constructor(private readonly secrets: SecretsService) {}

  static register(moduleOptions: SecretsModuleOptions = {}): DynamicModule {
    return {
      module: SecretsModule,
      controllers: [SecretsController, DataKeysController],
      providers: [
        {
          provide: SecretsService,
          inject: [EVENT_STORE, KEY_PROVIDERS, API_METRICS, KeyHealthGate],
          useFactory: (store: EventStore, providers: KeyProviders, metrics: ApiMetrics, gate: KeyHealthGate) => {
            const service = new SecretsService(store, providers.registry, { ...(moduleOptions.options ?? optionsFromEnv()), gate });
            metrics.watchDataKeyCache(service.cache);
            return service;
          },
        },
        ...SECRETS_COMMAND_HANDLERS,
      ],
      exports: [SecretsService],
    };
  }

  /** Zeroes every cached plaintext data key on the way out. */
  onApplicationShutdown(): void {
    this.secrets.cache.clear();
  }
}

function optionsFromEnv(): SecretsServiceOptions {
  const reader = new EnvReader(process.env);
  const options = readSecretsConfig(reader);
  reader.check();
  return options;
}
