import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { ReencryptionApiModule } from '../reencryption';
import { AuditApiModule } from '../audit';
import { KEY_COMMAND_HANDLERS, KeyringService } from './commands';
import { KeyringHistory } from './history';
import { KeysController } from './keys.controller';

export interface KeysModuleOptions {
  /** Overrides the key verifier (the default is `KEY_VERIFIER` from the OidcModule: AWS KMS through STS). */
  readonly keyVerifier?: Provider;
}

/**
 * `…/customer-managed-keys`: add, list, set default, disable, disable all, retry, history, and
 * the run's progress (`LiveReencryptionService` from the ReencryptionApiModule), the list at an
 * instant (`AuditService` from the AuditApiModule).
 * Needs `EVENT_STORE` and the projections (InfrastructureModule), `KEY_VERIFIER` (OidcModule),
 * the org guard (AuthModule) and the CqrsModule.
 */
@Module({})
export class KeysModule {
  static register(options: KeysModuleOptions = {}): DynamicModule {
    return {
      module: KeysModule,
      imports: [ReencryptionApiModule, AuditApiModule],
      controllers: [KeysController],
      providers: [KeyringService, KeyringHistory, ...KEY_COMMAND_HANDLERS, ...(options.keyVerifier ? [options.keyVerifier] : [])],
    };
  }
}
