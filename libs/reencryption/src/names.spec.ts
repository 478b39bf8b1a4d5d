import { fleetKeys, jobIds, QUEUES } from './names';

const runId = 're-0123456789abcdef0123456789abcdef';

describe('job ids and Redis keys', () => {
  it('names a run\'s jobs deterministically, so a replayed event adds nothing new', () => {
    expect(jobIds.plan(runId)).toBe(`plan-${runId}`);
    expect(jobIds.finalize(runId)).toBe(`finalize-${runId}`);
    expect(jobIds.batch(runId, 2, 17)).toBe(`batch-${runId}-r2-p17`);
    expect(jobIds.batch(runId, 2, 17)).toBe(jobIds.batch(runId, 2, 17));
  });

  it('never puts ":" in a job id or queue name (BullMQ reserves it)', () => {
    const ids = [jobIds.plan(runId), jobIds.finalize(runId), jobIds.batch(runId, 1, 0), ...Object.values(QUEUES)];
    for (const id of ids) expect(id).not.toContain(':');
  });

  it('gives every (round, page) its own batch id, and different runs different ids', () => {
    const ids = new Set<string>();
    for (let round = 1; round <= 3; round++) for (let page = 0; page < 12; page++) ids.add(jobIds.batch(runId, round, page));
    expect(ids.size).toBe(36);
    // r1-p11 and r11-p1 must not collide.
    expect(jobIds.batch(runId, 1, 11)).not.toBe(jobIds.batch(runId, 11, 1));
    expect(jobIds.batch('re-a', 1, 0)).not.toBe(jobIds.batch('re-b', 1, 0));
  });

  it('keeps the fleet\'s Redis keys in its own versioned namespace', () => {
    const keys = [fleetKeys.dispatcherCheckpoint, fleetKeys.counters(runId), fleetKeys.seen(runId), fleetKeys.failed(runId), fleetKeys.pages(runId), fleetKeys.progressGate(runId), fleetKeys.kmsBucket('1-eu'), fleetKeys.metrics, fleetKeys.batchesByWorker];
    for (const key of keys) expect(key.startsWith('reenc:v1:')).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
