import type { EnvReader } from '@cmk/runtime';

/**
 * The request budgets. Each request counts against exactly one: the route decides which, the
 * caller decides whose (an authenticated token's, the operator's, or the client address's).
 */
export type RateBudget = 'secrets' | 'commands' | 'reads' | 'operator' | 'anonymous';

export const RATE_BUDGETS: readonly RateBudget[] = ['secrets', 'commands', 'reads', 'operator', 'anonymous'];

/** Requests allowed per window in each budget. */
export type RateLimits = Readonly<Record<RateBudget, number>>;

export interface RateLimitSettings {
  /** `CMK_RATE_LIMIT_ENABLED`, default `true`. `false` turns every budget off (nothing is counted). */
  readonly enabled: boolean;
  /** `CMK_RATE_LIMIT_WINDOW_SECONDS`, default 60: the fixed window every budget counts in. */
  readonly windowSeconds: number;
  /**
   * Per window: `CMK_RATE_LIMIT_SECRETS` (default 6000, per token, `…/secrets/*`),
   * `CMK_RATE_LIMIT_COMMANDS` (default 300, per token, other org routes that change something),
   * `CMK_RATE_LIMIT_READS` (default 1200, per token, other org routes that read),
   * `CMK_RATE_LIMIT_OPERATOR` (default 1200, for the operator token and, apart, for
   * `CMK_METRICS_TOKEN`, on `/api/admin/*` and `/metrics`), `CMK_RATE_LIMIT_ANONYMOUS`
   * (default 300, per client address: public routes and requests without a valid credential).
   */
  readonly limits: RateLimits;
}

export const DEFAULT_RATE_LIMITS: RateLimits = { secrets: 6000, commands: 300, reads: 1200, operator: 1200, anonymous: 300 };

const ENV_NAMES: Readonly<Record<RateBudget, string>> = {
  secrets: 'CMK_RATE_LIMIT_SECRETS',
  commands: 'CMK_RATE_LIMIT_COMMANDS',
  reads: 'CMK_RATE_LIMIT_READS',
  operator: 'CMK_RATE_LIMIT_OPERATOR',
  anonymous: 'CMK_RATE_LIMIT_ANONYMOUS',
};

export function readRateLimitSettings(reader: EnvReader): RateLimitSettings {
  const enabled = reader.oneOf('CMK_RATE_LIMIT_ENABLED', 'true', ['true', 'false'] as const) === 'true';
  const windowSeconds = reader.int('CMK_RATE_LIMIT_WINDOW_SECONDS', 60, 1, 3600);
  const limits = Object.fromEntries(RATE_BUDGETS.map((budget) => [budget, reader.int(ENV_NAMES[budget], DEFAULT_RATE_LIMITS[budget], 1, 10_000_000)])) as Record<RateBudget, number>;
  return { enabled, windowSeconds, limits };
}

/**
 * `CMK_TRUST_PROXY`, default `false`: Express's `trust proxy`, which decides the client address
 * the anonymous budget counts by. Behind a load balancer set the number of proxy hops (`1`) or
 * their addresses (`loopback`, `10.0.0.0/8`, comma-separated); never `true` on a server clients
 * reach directly, or any client picks its own address with `X-Forwarded-For`.
 */
export function readTrustProxy(reader: EnvReader): boolean | number | string {
  const raw = reader.string('CMK_TRUST_PROXY', 'false').trim();
  if (raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  const parts = raw.split(',').map((part) => part.trim());
  const named = new Set(['loopback', 'linklocal', 'uniquelocal']);
  if (parts.every((part) => named.has(part) || /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(part))) return parts.join(',');
  reader.problems.push(`CMK_TRUST_PROXY must be true, false, a number of hops, or comma-separated addresses/subnets (loopback, linklocal, uniquelocal, 10.0.0.0/8) (got ${JSON.stringify(raw)})`);
  return false;
}
