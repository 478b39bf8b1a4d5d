/**
 * The api's dependency-injection tokens, in one place so a slice never imports another slice's
 * module (or the infrastructure module) just for a symbol. Ports a library defines keep their
 * library's token: `EVENT_STORE` (@cmk/eventstore), `KEY_VERIFIER` (@cmk/application).
 */

/** The validated `ApiConfig`, read once in `main.ts`. */
export const API_CONFIG = Symbol('API_CONFIG');
/** The api's ioredis client (read models, live progress, fleet metrics). */
export const REDIS = Symbol('REDIS');
/** The in-process `ProjectionRunner` (commands wait on it until their events are readable). */
export const PROJECTIONS = Symbol('PROJECTIONS');
/** The wired `KeyProviders` of the api process (issuer, registry, verifier). */
export const KEY_PROVIDERS = Symbol('KEY_PROVIDERS');
/** The `OidcIssuer` (token minting, discovery, JWKS). */
export const OIDC_ISSUER = Symbol('OIDC_ISSUER');
/** The re-encryption queues as the api sees them (`OpsQueues`). */
export const OPS_QUEUES = Symbol('OPS_QUEUES');
/** `OpsModuleOptions` of the operator pages. */
export const OPS_OPTIONS = Symbol('OPS_OPTIONS');
/** This process's `ApiMetrics` (prom-client registry, HTTP / append / cache metrics). */
export const API_METRICS = Symbol('API_METRICS');
/** The process's `DependencyHealth` (outage lines, `/readyz`, dependency metrics). */
export const DEPENDENCY_HEALTH = Symbol('DEPENDENCY_HEALTH');
/** The process's `GracefulShutdown`: connections opened during start-up register their close. */
export const SHUTDOWN = Symbol('SHUTDOWN');
