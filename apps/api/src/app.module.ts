import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import type { ApiConfig } from './config';
import type { DependencyHealth, GracefulShutdown } from '@cmk/runtime';
import { API_CONFIG, API_METRICS, DEPENDENCY_HEALTH, SHUTDOWN } from './tokens';
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
import { AuditApiModule } from './audit';
import { requestLogging } from './http/request-logging';
import { ApiMetrics } from './ops/api-metrics';
import type { Logger as Pino } from 'pino';
import { createRootLogger } from '@cmk/runtime';
import { KeyHealthModule } from './key-health/key-health.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { ConsoleApiModule } from './console/console.module';
import { RateLimitModule } from './http/rate-limit/rate-limit.module';

export interface AppModuleOptions {
  readonly config: ApiConfig;
  /** The process's outage tracker (see `createApiApp`). */
  readonly health: DependencyHealth;
  /** The process's shutdown, installed before the app is built. */
  readonly shutdown: GracefulShutdown;
  /** Overrides the key verifier (the default is AWS KMS through STS web identity). */
  readonly keyVerifier?: Provider;
  /** The process's pino logger (request logs and every Nest logger write to it). Default: one from the config. */
  readonly rootLogger?: Pino;
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
            { provide: API_METRICS, useValue: new ApiMetrics() },
          ],
          exports: [API_CONFIG, DEPENDENCY_HEALTH, SHUTDOWN, API_METRICS],
        },
        requestLogging(options.rootLogger ?? createRootLogger(options.config)),
        CqrsModule.forRoot(),
        InfrastructureModule,
        // Express tries routes one by one in the order the modules are listed: the busiest routes
        // (secrets, probes) first, so they are not matched against every other route before.
        SecretsModule.register({ options: options.config.secrets }),
        HealthModule,
        OidcModule.register({ config: options.config.keyProviders }),
        AuthModule,
        RateLimitModule.register(options.config.rateLimits),
        KeyHealthModule,
        WebhooksModule,
        ReencryptionApiModule,
        AuditApiModule,
        OpsModule.register({ metricsToken: options.config.metricsToken }),
        AdminModule,
        KeysModule.register({ keyVerifier: options.keyVerifier }),
        ConsoleApiModule,
      ],
      // One instance, global: the secrets routes' lean path answers its failures through it too (main.ts).
      providers: [ErrorFilter, { provide: APP_FILTER, useExisting: ErrorFilter }],
    };
  }
}

@Module({})
class ConfigHolder {}
