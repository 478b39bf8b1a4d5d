export { OidcModule, type OidcModuleOptions } from './oidc.module';
export { OidcController } from './oidc.controller';
export { KEY_PROVIDERS, OIDC_ISSUER } from './oidc.tokens';
