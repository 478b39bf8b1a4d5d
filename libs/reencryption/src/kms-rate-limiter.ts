import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { parseKeyArn } from '@cmk/domain';
import { ApplicationError } from '@cmk/application';
import type { KeyEncryptionProvider } from '@cmk/key-providers';
import type { FleetMetrics } from './fleet-metrics';
import { fleetKeys } from './names';

// Token bucket in Redis, shared by every worker: refills at `rate`/s up to `rate` (one second of
// burst). Grants up to ARGV[2] tokens; answers {granted, waitMs}. Redis TIME keeps one clock.
const TAKE_SCRIPT = `
local rate = tonumber(ARGV[1])
local want = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or rate
local at = tonumber(state[2]) or now
tokens = math.min(rate, tokens + (now - at) * rate / 1000)
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], 60000)
local wait = 0
if granted == 0 then wait = math.ceil((1 - tokens) * 1000 / rate) end
return {granted, wait}`;

/**
 * Limits KMS requests per AWS account across the fleet (AWS quotas are per account and
 * region). Each process takes tokens from Redis in small chunks so the limiter costs about one
 * Redis round trip per `chunk` calls, not one per call.
 */
export class KmsRateLimiter {
  private readonly local = new Map<string, number>();
  private readonly pending = new Map<string, Promise<void>>();
  private readonly chunk: number;

  /** `perSecond` 0 switches the limiter off. */
  constructor(
    private readonly redis: Redis,
    private readonly perSecond: number,
  ) {
    this.chunk = Math.max(1, Math.min(16, Math.floor(perSecond / 50)));
  }

  get enabled(): boolean {
    return this.perSecond > 0;
  }

  /** Resolves when one request against `account` may be sent. */
  async acquire(account: string): Promise<void> {
    if (!this.enabled) return;
    for (;;) {
      const have = this.local.get(account) ?? 0;
      if (have > 0) {
        this.local.set(account, have - 1);
        return;
      }
      // One refill per account at a time; the others wait for it and then compete for its tokens.
      let refill = this.pending.get(account);
      if (!refill) {
        refill = this.refill(account).finally(() => this.pending.delete(account));
        this.pending.set(account, refill);
      }
      await refill;
    }
  }

  private async refill(account: string): Promise<void> {
    const reply = (await this.redis.eval(TAKE_SCRIPT, 1, fleetKeys.kmsBucket(account), String(this.perSecond), String(this.chunk))) as [number, number];
    const [granted, waitMs] = [Number(reply[0]), Number(reply[1])];
    if (granted > 0) this.local.set(account, (this.local.get(account) ?? 0) + granted);
    else await new Promise((resolve) => setTimeout(resolve, Math.max(1, waitMs)));
  }
}

/**
 * One KMS call of a batch: held back by the fleet-wide per-account rate limiter, then timed and
 * counted in the fleet metrics. The local platform key makes no KMS call and is not limited.
 */
export async function meteredKmsCall<T>(
  deps: { readonly limiter: KmsRateLimiter; readonly metrics: FleetMetrics },
  provider: KeyEncryptionProvider,
  operation: string,
  call: () => Promise<T>,
): Promise<T> {
  const account = kmsAccountOf(provider);
  if (account === undefined) return call(); // the local platform key: no KMS, no quota
  await deps.limiter.acquire(account);
  const started = performance.now();
  try {
    const out = await call();
    deps.metrics.kmsCall(operation, (performance.now() - started) / 1000, 'ok');
    return out;
  } catch (error) {
    // Throttling is told apart: its rate is what an operator tunes the fleet's KMS budget by.
    const throttled = error instanceof ApplicationError && error.code === 'KMS_THROTTLED';
    deps.metrics.kmsCall(operation, (performance.now() - started) / 1000, throttled ? 'throttled' : 'error');
    throw error;
  }
}

/** The AWS account a provider's KMS calls count against; undefined for the local platform key. */
export function kmsAccountOf(provider: KeyEncryptionProvider): string | undefined {
  const parts = parseKeyArn(provider.kekRef);
  return parts ? `${parts.accountId}-${parts.region}` : undefined;
}
