import { usePrivateRedis } from '@cmk/testing';
import { fleetKeys } from './names';
import { RunProgress, type KeyOutcome } from './run-progress';

const privateRedis = usePrivateRedis();

const done = (id: string): KeyOutcome => ({ dataKeyId: id, outcome: 'done' });
const failed = (id: string, code: string): KeyOutcome => ({ dataKeyId: id, outcome: 'failed', code });

describe('RunProgress (real Redis): counters are idempotent per data key and per page', () => {
  it('counts a replayed batch (stalled job, retry) once', async () => {
    const progress = new RunProgress(privateRedis.redis);
    const runId = 're-progress-replay';
    const batch = [done('dk1'), done('dk2'), failed('dk3', 'KMS_ACCESS_DENIED'), { dataKeyId: 'dk4', outcome: 'skipped' } as const];
    expect(await progress.record(runId, batch)).toBe(3);
    expect(await progress.record(runId, batch)).toBe(0);
    expect(await progress.read(runId)).toEqual({ total: 0, done: 2, failed: 1, failuresByCode: { KMS_ACCESS_DENIED: 1 } });
  });

  it('counts a key once even when a retry reports it with another outcome', async () => {
    const progress = new RunProgress(privateRedis.redis);
    const runId = 're-progress-outcome';
    await progress.record(runId, [failed('dk1', 'KMS_KEY_DISABLED')]);
    expect(await progress.record(runId, [done('dk1'), done('dk2')])).toBe(1);
    expect(await progress.read(runId)).toEqual({ total: 0, done: 1, failed: 1, failuresByCode: { KMS_KEY_DISABLED: 1 } });
    expect([...(await progress.failedAmong(runId, ['dk1', 'dk2', 'dk9']))]).toEqual(['dk1']);
  });

  it('counts concurrent replays of the same keys once (the script is atomic)', async () => {
    const progress = new RunProgress(privateRedis.redis);
    const runId = 're-progress-concurrent';
    const batch = Array.from({ length: 200 }, (_, i) => done(`dk${i}`));
    const counted = await Promise.all(Array.from({ length: 8 }, () => progress.record(runId, batch)));
    expect(counted.reduce((a, b) => a + b, 0)).toBe(200);
    expect((await progress.read(runId))?.done).toBe(200);
  });

  it('adds a planned page to the total once per (round, page)', async () => {
    const progress = new RunProgress(privateRedis.redis);
    const runId = 're-progress-pages';
    await progress.addPlannedPage(runId, 1, 0, 500);
    await progress.addPlannedPage(runId, 1, 0, 500);
    await progress.addPlannedPage(runId, 1, 1, 120);
    await progress.addPlannedPage(runId, 2, 0, 3);
    expect((await progress.read(runId))?.total).toBe(623);
  });

  it('has no counters for an unknown run, and lets a finished run\'s keys expire', async () => {
    const progress = new RunProgress(privateRedis.redis);
    expect(await progress.read('re-progress-unknown')).toBeUndefined();
    const runId = 're-progress-expire';
    await progress.addPlannedPage(runId, 1, 0, 2);
    await progress.record(runId, [done('dk1'), failed('dk2', 'X')]);
    await progress.expire(runId, 60);
    for (const key of [fleetKeys.counters(runId), fleetKeys.seen(runId), fleetKeys.failed(runId), fleetKeys.pages(runId)]) {
      const ttl = await privateRedis.redis.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60);
    }
  });
});
