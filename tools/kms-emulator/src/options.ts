import type { RoleDefinition } from './roles';

/** Static credentials that may call every KMS operation (test setup, CreateKey). */
export interface AdminCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Default admin credentials; the emulator never verifies the secret, only the key id. */
export const DEFAULT_ADMIN_CREDENTIALS: AdminCredentials = {
  accessKeyId: 'AKIAKMSEMULATORADMIN',
  secretAccessKey: 'kms-emulator-admin-secret-not-verified',
};

export interface KmsEmulatorOptions {
  /** TCP port to listen on. Default 0 (an ephemeral port; read it from the returned handle). */
  readonly port?: number;
  /** Interface to bind. Default `127.0.0.1`. */
  readonly host?: string;
  /** AWS account id used in ARNs. Default `111122223333`. */
  readonly accountId?: string;
  /** Region used in ARNs. Default `us-east-1`. */
  readonly region?: string;
  /** Credentials allowed to do everything. Default {@link DEFAULT_ADMIN_CREDENTIALS}. */
  readonly adminCredentials?: AdminCredentials;
  /** Requests per second per account before ThrottlingException (token bucket). Default off. */
  readonly quotaPerSecond?: number;
  /** Latency added to every KMS call, in ms. Default 0. */
  readonly latencyMs?: number;
  /** How long a fetched JWKS is trusted before it is fetched again, in ms. Default 300 000. */
  readonly jwksCacheTtlMs?: number;
  /** Timeout for discovery and JWKS requests to an identity provider, in ms. Default 5 000. */
  readonly idpTimeoutMs?: number;
  /** Roles registered at start (same shape as `POST /_emulator/roles`). Default none. */
  readonly roles?: readonly RoleDefinition[];
  /**
   * Clock in epoch ms, used for credential expiry and JWT `exp`/`nbf`. Default `Date.now`.
   * Tests pass a controllable clock so expiry is tested without waiting.
   */
  readonly now?: () => number;
}

export interface ResolvedOptions {
  readonly port: number;
  readonly host: string;
  readonly accountId: string;
  readonly region: string;
  readonly adminCredentials: AdminCredentials;
  readonly quotaPerSecond: number | undefined;
  readonly latencyMs: number;
  readonly jwksCacheTtlMs: number;
  readonly idpTimeoutMs: number;
  readonly roles: readonly RoleDefinition[];
  readonly now: () => number;
}

export function resolveOptions(options: KmsEmulatorOptions): ResolvedOptions {
  const accountId = options.accountId ?? '111122223333';
  if (!/^\d{12}$/.test(accountId)) throw new Error(`accountId must be 12 digits, got "${accountId}"`);
  return {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    accountId,
    region: options.region ?? 'us-east-1',
    adminCredentials: options.adminCredentials ?? DEFAULT_ADMIN_CREDENTIALS,
    quotaPerSecond: options.quotaPerSecond,
    latencyMs: options.latencyMs ?? 0,
    jwksCacheTtlMs: options.jwksCacheTtlMs ?? 300_000,
    idpTimeoutMs: options.idpTimeoutMs ?? 5_000,
    roles: options.roles ?? [],
    now: options.now ?? Date.now,
  };
}
