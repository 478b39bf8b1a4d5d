import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import type { ApiConfig } from './config';
import type { DependencyHealth, GracefulShutdown } from '@cmk/runtime';
import { API_CONFIG, DEPENDENCY_HEALTH, SHUTDOWN } from './tokens';
import { InfrastructureModule } from './infrastructure/infrastructure.module';
import { ErrorFilter } from './http/error.filter';
import { AdminModule } from './admin/admin.module';
import { KeysModule } from './keys/keys.module';
import { HealthModule } from './health/health.module';
import { OidcModule } from './oidc';
import { SecretsModule } from './secrets';
import { ReencryptionApiModule } from './reencryption';
import { OpsModule } from './ops/ops.module';
import { AuthModule } from './auth/auth.module';

export interface AppModuleOptions {
  readonly config: ApiConfig;
  /** The process's outage tracker (see `createApiApp`). */
  readonly health: DependencyHealth;
  /** The process's shutdown, installed before the app is built. */
  readonly shutdown: GracefulShutdown;
  /** Overrides the key verifier (the default is AWS KMS through STS web identity). */
  readonly keyVerifier?: Provider;
}

/** The api's composition root: configuration and adapters are bound to ports here only. */
@Module({})
export class AppModule {
  static register(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        {
          module: ConfigHolder,
          global: true,
          providers: [
            { provide: API_CONFIG, useValue: options.config },
            { provide: DEPENDENCY_HEALTH, useValue: options.health },
            { provide: SHUTDOWN, useValue: options.shutdown },
          ],
          exports: [API_CONFIG, DEPENDENCY_HEALTH, SHUTDOWN],
        },
        CqrsModule.forRoot(),
        InfrastructureModule,
        OidcModule.register({ config: options.config.keyProviders }),
        AuthModule,
        SecretsModule.register({ options: options.config.secrets }),
        ReencryptionApiModule,
        OpsModule.register({ metricsToken: options.config.metricsToken }),
        HealthModule,
        AdminModule,
        KeysModule.register({ keyVerifier: options.keyVerifier }),
      ],
      providers: [{ provide: APP_FILTER, useClass: ErrorFilter }],
    };
  }
}

@Module({})
class ConfigHolder {}
