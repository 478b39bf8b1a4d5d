import type { ReencryptionBanner } from '@cmk/read-models';
import { mergeLiveProgress } from './live-banner';
import { countersFromHash } from './run-progress';

const startedAt = '2030-01-01T00:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(startedAt) + seconds * 1000);

function banner(over: Partial<ReencryptionBanner> = {}): ReencryptionBanner {
  return {
    id: 're-1',
    state: 'running',
    reason: 'first-key',
    retryOf: null,
    from: ['platform'],
    to: 'k1',
    total: 1000,
    done: 100,
    failed: 0,
    failuresByCode: {},
    startedAt,
    finishedAt: null,
    etaSeconds: null,
    failureReason: null,
    ...over,
  };
}

describe('live banner: the read model merged with the fleet counters', () => {
  it('takes the live counts when they are ahead and recomputes the ETA from them', () => {
    const merged = mergeLiveProgress(banner(), { total: 1000, done: 400, failed: 0, failuresByCode: {} }, at(20));
    // 400 done in 20 s = 20/s; 600 left → 30 s.
    expect(merged).toMatchObject({ done: 400, failed: 0, total: 1000, etaSeconds: 30 });
  });

  it('never moves counts backwards when the durable banner is ahead of the counters', () => {
    const merged = mergeLiveProgress(banner({ done: 500, failed: 3, failuresByCode: { KMS_ACCESS_DENIED: 3 } }), { total: 1000, done: 200, failed: 1, failuresByCode: {} }, at(10));
    expect(merged).toMatchObject({ done: 500, failed: 3, failuresByCode: { KMS_ACCESS_DENIED: 3 } });
  });

  it('grows the total to cover every counted key (late data keys of a later round)', () => {
    const merged = mergeLiveProgress(banner({ total: 1000 }), { total: 1000, done: 1003, failed: 2, failuresByCode: { KMS_KEY_DISABLED: 2 } }, at(10));
    expect(merged).toMatchObject({ total: 1005, done: 1003, failed: 2, failuresByCode: { KMS_KEY_DISABLED: 2 }, etaSeconds: 0 });
  });

  it('has no ETA before the first key is done', () => {
    expect(mergeLiveProgress(banner({ done: 0 }), { total: 1000, done: 0, failed: 5, failuresByCode: {} }, at(10)).etaSeconds).toBeNull();
  });

  it('leaves a finished run to the read model alone', () => {
    const completed = banner({ state: 'completed', done: 1000, finishedAt: at(50).toISOString() });
    expect(mergeLiveProgress(completed, { total: 1000, done: 990, failed: 0, failuresByCode: {} }, at(60))).toBe(completed);
  });

  it('leaves the banner as is when the counters are gone (expired)', () => {
    const running = banner();
    expect(mergeLiveProgress(running, undefined, at(5))).toBe(running);
  });

  it('reads counters from the Redis hash, including failures by code', () => {
    expect(countersFromHash({ total: '10', done: '7', failed: '2', 'code:KMS_ACCESS_DENIED': '2' })).toEqual({ total: 10, done: 7, failed: 2, failuresByCode: { KMS_ACCESS_DENIED: 2 } });
    expect(countersFromHash({})).toEqual({ total: 0, done: 0, failed: 0, failuresByCode: {} });
  });
});
