export { OidcModule, type OidcModuleOptions } from './oidc.module';
export { OidcController } from './oidc.controller';
