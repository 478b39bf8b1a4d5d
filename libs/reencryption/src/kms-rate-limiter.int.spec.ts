import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { usePrivateRedis } from '@cmk/testing';
import { KmsRateLimiter } from './kms-rate-limiter';
import { fleetKeys } from './names';

const privateRedis = usePrivateRedis();

/** Takes `n` tokens with `lanes` concurrent callers (like the rewrap lanes of a batch). */
async function take(limiter: KmsRateLimiter, account: string, n: number, lanes = 16): Promise<void> {
  let left = n;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (left > 0) {
        left -= 1;
        await limiter.acquire(account);
      }
    }),
  );
}

async function seconds(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

describe('KmsRateLimiter (real Redis): one budget per AWS account, shared by the fleet', () => {
  it('is off at 0 per second: no waiting and no Redis state', async () => {
    const limiter = new KmsRateLimiter(privateRedis.redis, 0);
    expect(limiter.enabled).toBe(false);
    await take(limiter, '111111111111-off', 10_000);
    expect(await privateRedis.redis.exists(fleetKeys.kmsBucket('111111111111-off'))).toBe(0);
  });

  it('two processes share one budget: past the one-second burst they get `rate` per second together', async () => {
    const rate = 200;
    const account = '222222222222-shared';
    const a = new KmsRateLimiter(privateRedis.redis, rate);
    const other = new Redis(privateRedis.server.url, { maxRetriesPerRequest: 3 });
    const b = new KmsRateLimiter(other, rate);
    // 200 come from the full bucket; the other 300 need 1.5 s of refill at 200/s.
    const elapsed = await seconds(() => Promise.all([take(a, account, 250), take(b, account, 250)]).then(() => undefined));
    // A lower bound only: the limiter must hold callers back. How close it gets to the budget is
    // measured by the quota-bound benchmark (bench:reencrypt), not asserted against a clock here.
    expect(elapsed).toBeGreaterThanOrEqual(1.35);
    other.disconnect();
  });

  it('never exceeds the configured rate once the burst is spent', async () => {
    const rate = 400;
    const account = '333333333333-steady';
    const limiter = new KmsRateLimiter(privateRedis.redis, rate);
    await take(limiter, account, rate);
    const elapsed = await seconds(() => take(limiter, account, 600));
    const perSecond = 600 / elapsed;
    expect(perSecond).toBeLessThanOrEqual(rate * 1.1);
  });

  it('keeps accounts apart: an exhausted account does not slow another', async () => {
    const limiter = new KmsRateLimiter(privateRedis.redis, 100);
    await take(limiter, '444444444444-busy', 100);
    const elapsed = await seconds(() => take(limiter, '555555555555-idle', 80));
    // Sharing the exhausted bucket would make these 80 wait at least 0.8 s (100/s refill).
    expect(elapsed).toBeLessThan(0.8);
  });
});
