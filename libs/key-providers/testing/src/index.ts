export * from './serve-oidc-issuer';
