/** The wired `KeyProviders` of the api process (issuer, registry, verifier). */
export const KEY_PROVIDERS = Symbol('KEY_PROVIDERS');
/** The `OidcIssuer` (token minting, discovery, JWKS). */
export const OIDC_ISSUER = Symbol('OIDC_ISSUER');
