import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { API_CONFIG, type ApiConfig } from './config';
import { InfrastructureModule } from './infrastructure/infrastructure.module';
import { ErrorFilter } from './http/error.filter';
import { AdminController } from './admin/admin.controller';
import { ADMIN_COMMAND_HANDLERS } from './admin/commands';
import { OrgService } from './admin/org.service';
import { KeysController } from './keys/keys.controller';
import { KEY_COMMAND_HANDLERS } from './keys/commands';
import { KeyringService } from './keys/keyring.service';
import { KeyringHistory } from './keys/history';
import { HealthController } from './health/health.controller';
import { OidcModule } from './oidc';
import { SecretsModule } from './secrets';
import { ReencryptionApiModule } from './reencryption';
import { OpsModule } from './ops/ops.module';
import { AuthModule } from './auth/auth.module';
import { KeyHealthModule } from './key-health/key-health.module';
import { WebhooksModule } from './webhooks/webhooks.module';

export interface AppModuleOptions {
  readonly config: ApiConfig;
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
        { module: ConfigHolder, global: true, providers: [{ provide: API_CONFIG, useValue: options.config }], exports: [API_CONFIG] },
        CqrsModule.forRoot(),
        InfrastructureModule,
        OidcModule.register({ config: options.config.keyProviders }),
        AuthModule,
        KeyHealthModule,
        WebhooksModule,
        SecretsModule.register({ options: options.config.secrets }),
        ReencryptionApiModule,
        OpsModule.register({ metricsToken: options.config.metricsToken }),
      ],
      controllers: [HealthController, AdminController, KeysController],
      providers: [
        { provide: APP_FILTER, useClass: ErrorFilter },
        OrgService,
        KeyringService,
        KeyringHistory,
        ...ADMIN_COMMAND_HANDLERS,
        ...KEY_COMMAND_HANDLERS,
        ...(options.keyVerifier ? [options.keyVerifier] : []),
      ],
    };
  }
}

@Module({})
class ConfigHolder {}
