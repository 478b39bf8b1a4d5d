import { createHash } from 'node:crypto';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';

/**
 * One fixed window per key, shared by every api replica: count the hit, start the window on the
 * first one, and once the count passes the limit mark the key blocked for `blockDuration` (a
 * blocked key is not counted further). One script, so one round trip per request and no race
 * between replicas. Replies `{hits, windowMs, blocked, blockMs}`.
 */
const INCREMENT_SCRIPT = `
local blockMs = redis.call('PTTL', KEYS[2])
if blockMs > 0 then
  return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1]), 1, blockMs}
end
local hits = redis.call('INCR', KEYS[1])
local windowMs = redis.call('PTTL', KEYS[1])
if windowMs < 0 then
  windowMs = tonumber(ARGV[1])
  redis.call('PEXPIRE', KEYS[1], windowMs)
end
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return {hits, windowMs, 1, tonumber(ARGV[3])}
end
return {hits, windowMs, 0, 0}
`;
const INCREMENT_SHA = createHash('sha1').update(INCREMENT_SCRIPT).digest('hex');

type IncrementArgs = [hitsKey: string, blockKey: string, windowMs: number, limit: number, blockMs: number];

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** What the limiter answers when it cannot count: let the request through. */
const NOT_COUNTED: ThrottlerStorageRecord = { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };

export interface RedisThrottlerStorageOptions {
  /** Key prefix. Default `cmk:rate:`. */
  readonly prefix?: string;
  /**
   * Whether Redis is up (the process's dependency health). While it is not, requests are not
   * counted (the limiter fails open) instead of waiting for a reconnect.
   */
  readonly redisUp?: () => boolean;
  /**
   * How long a request waits for its count before it passes uncounted. Default 2000 ms: generous,
   * so that a busy event loop does not skip counts.
   */
  readonly timeoutMs?: number;
}

/**
 * `@nestjs/throttler` storage over the api's own ioredis connection, so budgets hold across
 * replicas. Times follow the throttler's contract: `ttl` and `blockDuration` in milliseconds in,
 * `timeToExpire` and `timeToBlockExpire` in whole seconds (rounded up) out.
 *
 * Fails open: while Redis is down (or the connection is not ready, or a count takes longer than
 * `timeoutMs`) nothing is counted and every request passes. A limiter that failed closed would
 * turn a Redis outage into an outage of the secrets routes, which do not otherwise need Redis.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly prefix: string;
  private readonly timeoutMs: number;
  /** Requests let through uncounted because Redis was unavailable (for the metrics). */
  uncounted = 0;
  /** Counts asked for in this turn of the event loop, sent together at its end. */
  private pending: { readonly args: IncrementArgs; readonly settle: (reply: unknown) => void }[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisThrottlerStorageOptions = {},
  ) {
    this.prefix = options.prefix ?? 'cmk:rate:';
    this.timeoutMs = options.timeoutMs ?? 2_000;
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, _throttlerName?: string): Promise<ThrottlerStorageRecord> {
    if (this.redis.status !== 'ready' || this.options.redisUp?.() === false) {
      this.uncounted += 1;
      return NOT_COUNTED;
    }
    // A hash tag: both keys of one budget land on the same Redis Cluster slot.
    const base = `${this.prefix}{${key}}`;
    const args: IncrementArgs = [`${base}:hits`, `${base}:block`, Math.max(1, Math.ceil(ttl)), limit, Math.max(1, Math.ceil(blockDuration))];
    const reply = await new Promise<unknown>((settle) => {
      if (this.pending.push({ args, settle }) === 1) setImmediate(this.sendPending);
    });
    if (reply === undefined) {
      this.uncounted += 1;
      return NOT_COUNTED;
    }
    const [hits, windowMs, blocked, blockMs] = reply as [number, number, number, number];
    return { totalHits: hits, timeToExpire: Math.ceil(Math.max(0, windowMs) / 1000), isBlocked: blocked === 1, timeToBlockExpire: Math.ceil(blockMs / 1000) };
  }

  /**
   * Sends the counts of one event-loop turn as one pipeline: one socket write for all the
   * requests that arrived together instead of one each (on a busy api the write to Redis was
   * the largest single cost of a request after the response itself). Each script still runs on
   * its own, in order; a reply that failed settles `undefined` (not counted), except that a
   * server which lost its scripts (restart, SCRIPT FLUSH) gets the script itself, once.
   */
  private readonly sendPending = (): void => {
    const batch = this.pending;
    this.pending = [];
    // A batch sent just as the connection drops waits in ioredis's queue for the reconnect: its
    // requests do not wait with it (settling twice is a no-op, so the timer may outlive them).
    const giveUp = () => batch.forEach(({ settle }) => settle(undefined));
    const timer = setTimeout(giveUp, this.timeoutMs).unref();
    const pipeline = this.redis.pipeline();
    for (const { args } of batch) pipeline.evalsha(INCREMENT_SHA, 2, ...args);
    pipeline.exec().then(
      (results) => {
        let resending = false;
        batch.forEach(({ args, settle }, index) => {
          const [error, reply] = results?.[index] ?? [new Error('no reply')];
          if (!error) return settle(reply);
          if (!error.message.startsWith('NOSCRIPT')) return settle(undefined);
          resending = true;
          this.redis.eval(INCREMENT_SCRIPT, 2, ...args).then(settle, () => settle(undefined));
        });
        // The script's own round trip is still under the timeout.
        if (!resending) clearTimeout(timer);
      },
      () => {
        clearTimeout(timer);
        giveUp();
      },
    );
  };
}
