import { performance } from 'node:perf_hooks';

interface Bucket {
  tokens: number;
  refilledAt: number;
}

/**
 * A token bucket per account: refills `perSecond` tokens a second and holds at most one
 * second's worth, so a burst up to the quota passes and a sustained excess is throttled.
 * Uses the monotonic clock: quota is about real request rate, not the emulated time.
 */
export class RequestQuota {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private perSecond: number | undefined) {
    RequestQuota.validate(perSecond);
  }

  static validate(perSecond: number | undefined): void {
    if (perSecond !== undefined && !(typeof perSecond === 'number' && perSecond > 0 && Number.isFinite(perSecond))) {
      throw new RangeError('perSecond must be a positive number (or absent to switch the quota off)');
    }
  }

  /** Changes the quota; `undefined` switches it off. Buckets restart full. */
  set(perSecond: number | undefined): void {
    RequestQuota.validate(perSecond);
    this.perSecond = perSecond;
    this.buckets.clear();
  }

  get current(): number | undefined {
    return this.perSecond;
  }

  /** True when the call may proceed; false when it must be throttled. */
  tryTake(account: string): boolean {
    const limit = this.perSecond;
    if (limit === undefined) return true;
    const now = performance.now();
    let bucket = this.buckets.get(account);
    if (!bucket) {
      bucket = { tokens: limit, refilledAt: now };
      this.buckets.set(account, bucket);
    }
    bucket.tokens = Math.min(limit, bucket.tokens + ((now - bucket.refilledAt) / 1000) * limit);
    bucket.refilledAt = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
