import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { KEY_VERIFIER } from '@cmk/application';
import { createKeyProviders, readKeyProvidersConfig, type KeyProviders, type KeyProvidersConfig } from '@cmk/key-providers';
import { EnvReader } from '@cmk/runtime';
import type { ApiConfig } from '../config';
import { OidcController } from './oidc.controller';
import { API_CONFIG, KEY_PROVIDERS, OIDC_ISSUER } from '../tokens';

export interface OidcModuleOptions {
  /**
   * The key-provider settings. Default: read from the environment (`CMK_PLATFORM_MASTER_KEY`,
   * `CMK_PLATFORM_KMS_KEY_ARN`, `CMK_OIDC_SUBJECT_PREFIX`, `CMK_KMS_*`, ...) with `dataDir` and
   * `publicUrl` from `API_CONFIG`. Prefer reading it once in `loadApiConfig` and passing it here.
   */
  readonly config?: KeyProvidersConfig;
}

/**
 * Our OIDC issuer (`<PUBLIC_URL>/oidc/.well-known/...`) and the key providers behind it, with
 * `KEY_VERIFIER` bound to the AWS KMS verifier. Global so command handlers can inject
 * `KEY_VERIFIER` and `KEY_PROVIDERS`.
 */
@Module({})
export class OidcModule implements OnApplicationShutdown {
  constructor(@Inject(KEY_PROVIDERS) private readonly providers: KeyProviders) {}

  static register(options: OidcModuleOptions = {}): DynamicModule {
    return {
      module: OidcModule,
      global: true,
      controllers: [OidcController],
      providers: [
        {
          provide: KEY_PROVIDERS,
          inject: [API_CONFIG],
          useFactory: (config: ApiConfig) => createKeyProviders(options.config ?? configFromEnv(config)),
        },
        { provide: OIDC_ISSUER, inject: [KEY_PROVIDERS], useFactory: (providers: KeyProviders) => providers.issuer },
        { provide: KEY_VERIFIER, inject: [KEY_PROVIDERS], useFactory: (providers: KeyProviders) => providers.verifier },
      ],
      exports: [KEY_PROVIDERS, OIDC_ISSUER, KEY_VERIFIER],
    };
  }

  onApplicationShutdown(): void {
    this.providers.close();
  }
}

function configFromEnv(api: ApiConfig): KeyProvidersConfig {
  const reader = new EnvReader(process.env);
  const config = readKeyProvidersConfig(reader, { dataDir: api.dataDir, publicUrl: api.publicUrl });
  reader.check();
  return config;
}
