import { keyring, keyringEvents } from '@cmk/read-models/testing';
import { HISTORY_LIMIT, estimateEtaSeconds, evolveBannerDoc, initialBannerDoc, type ReencryptionBannerDoc } from './reencryption-banner';

const ORG = 'org-banner';
const given = (...events: ReturnType<typeof keyringEvents>): ReencryptionBannerDoc => events.reduce(evolveBannerDoc, initialBannerDoc(ORG));
const at = (seconds: number): string => new Date(Date.UTC(2026, 0, 1) + seconds * 1000).toISOString();

const started = (id: string, seconds = 0) => keyring(ORG, 'ReencryptionStarted', { reencryptionId: id, from: ['platform'], to: 'k1', reason: 'first-key' }, at(seconds));
const progressed = (id: string, done: number, failed: number, total: number, seconds: number) =>
  keyring(ORG, 'ReencryptionProgressed', { reencryptionId: id, done, failed, total }, at(seconds));
const completed = (id: string, seconds: number) => keyring(ORG, 'ReencryptionCompleted', { reencryptionId: id, rewrapped: 100, failed: 0 }, at(seconds));

describe('re-encryption banner projection', () => {
  it('a started run is running with zero counts and no ETA yet', () => {
    expect(given(...keyringEvents(started('r1'))).current).toEqual({
      id: 'r1',
      state: 'running',
      reason: 'first-key',
      retryOf: null,
      from: ['platform'],
      to: 'k1',
      total: 0,
      done: 0,
      failed: 0,
      failuresByCode: {},
      startedAt: at(0),
      finishedAt: null,
      etaSeconds: null,
      failureReason: null,
    });
  });

  it('progress updates counts and estimates the time left from the done rate', () => {
    const doc = given(...keyringEvents(started('r1'), progressed('r1', 20, 5, 100, 10)));
    // 20 done in 10 s = 2/s; 75 left → 38 s (rounded up).
    expect(doc.current).toMatchObject({ state: 'running', done: 20, failed: 5, total: 100, etaSeconds: 38 });
  });

  it('gives no ETA before anything is done', () => {
    expect(estimateEtaSeconds(at(0), at(10), 0, 3, 100)).toBeNull();
    expect(estimateEtaSeconds(at(0), at(0), 5, 0, 100)).toBeNull();
  });

  it('completion and failure finish the run and drop the ETA', () => {
    const done = given(...keyringEvents(started('r1'), progressed('r1', 50, 0, 100, 10), completed('r1', 30)));
    expect(done.current).toMatchObject({ state: 'completed', done: 100, failed: 0, total: 100, finishedAt: at(30), etaSeconds: null });
    const failed = given(
      ...keyringEvents(
        started('r2'),
        progressed('r2', 50, 0, 100, 10),
        keyring(ORG, 'ReencryptionFailed', { reencryptionId: 'r2', reason: 'KMS denied', rewrapped: 60, failed: 40, failuresByCode: { KMS_ACCESS_DENIED: 40 } }, at(20)),
      ),
    );
    expect(failed.current).toMatchObject({ state: 'failed', done: 60, failed: 40, failuresByCode: { KMS_ACCESS_DENIED: 40 }, failureReason: 'KMS denied', finishedAt: at(20) });
  });

  it('a new run pushes the previous one into the history, newest first, at most 20', () => {
    const runs = Array.from({ length: HISTORY_LIMIT + 3 }, (_, i) => `r${i}`);
    const doc = given(...keyringEvents(...runs.flatMap((id, i) => [started(id, i * 100), completed(id, i * 100 + 50)])));
    expect(doc.current?.id).toBe(`r${HISTORY_LIMIT + 2}`);
    expect(doc.history).toHaveLength(HISTORY_LIMIT);
    expect(doc.history[0].id).toBe(`r${HISTORY_LIMIT + 1}`);
    expect(doc.history.every((run) => run.state === 'completed')).toBe(true);
  });

  it('ignores progress of a run that is not the current one', () => {
    const before = given(...keyringEvents(started('r1'), completed('r1', 5), started('r2', 10)));
    const [late] = keyringEvents(progressed('r1', 1, 0, 100, 20));
    expect(evolveBannerDoc(before, late)).toBe(before);
  });

  it('feeding every event twice gives the same document as feeding it once', () => {
    const events = keyringEvents(started('r1'), progressed('r1', 10, 0, 100, 5), progressed('r1', 60, 1, 100, 20), completed('r1', 40), started('r2', 50), progressed('r2', 5, 0, 10, 55));
    expect(given(...events.flatMap((e) => [e, e]))).toEqual(given(...events));
    // A start delivered again after later runs must not bring the old run back.
    const replayedStart = keyringEvents(started('r1'))[0];
    expect(evolveBannerDoc(given(...events), replayedStart)).toEqual(given(...events));
  });
});
