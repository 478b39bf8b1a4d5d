import { assessProbe, blockingCode, classifyProbe, type HealthRecord, type ProbeOutcome } from './assess';

const key = { orgId: 'acme', keyId: 'k1' };
const settings = { confirmations: 2, slowMs: 1000 };
const ok: ProbeOutcome = { ok: true, latencyMs: 20 };
const fail = (code: string): ProbeOutcome => ({ ok: false, latencyMs: 20, code, message: `${code} happened` });

/** Feeds probes one a minute and returns every record. */
function run(outcomes: ProbeOutcome[], confirmations = 2): HealthRecord[] {
  const records: HealthRecord[] = [];
  let previous: HealthRecord | undefined;
  outcomes.forEach((outcome, i) => {
    previous = assessProbe(previous, key, outcome, { ...settings, confirmations }, `2026-01-01T00:0${i}:00.000Z`);
    records.push(previous);
  });
  return records;
}

describe('classifyProbe', () => {
  it.each([
    ['KMS_ROLE_NOT_ASSUMABLE', 'access_denied'],
    ['KMS_ACCESS_DENIED', 'access_denied'],
    ['KMS_KEY_DISABLED', 'disabled'],
    ['KMS_KEY_PENDING_DELETION', 'pending_deletion'],
    ['KMS_KEY_NOT_FOUND', 'not_found'],
    ['KMS_THROTTLED', 'degraded'],
    ['KMS_UNAVAILABLE', 'unreachable'],
    ['KMS_REQUEST_REJECTED', 'unreachable'],
    ['SOMETHING_NEW', 'unreachable'],
  ])('%s is %s', (code, state) => {
    expect(classifyProbe(fail(code), 1000).state).toBe(state);
  });

  it('a success slower than the threshold is degraded, a fast one healthy', () => {
    expect(classifyProbe({ ok: true, latencyMs: 1500 }, 1000)).toMatchObject({ state: 'degraded', code: 'KMS_SLOW' });
    expect(classifyProbe(ok, 1000)).toMatchObject({ state: 'healthy', code: null });
  });
});

describe('assessProbe', () => {
  it('declares healthy, degraded and unreachable at once', () => {
    expect(run([ok]).map((r) => r.state)).toEqual(['healthy']);
    expect(run([ok, fail('KMS_THROTTLED')]).map((r) => r.state)).toEqual(['healthy', 'degraded']);
    expect(run([ok, fail('KMS_UNAVAILABLE')]).map((r) => r.state)).toEqual(['healthy', 'unreachable']);
  });

  it('declares a decision only after the configured consecutive probes, since the first of them', () => {
    const records = run([ok, fail('KMS_KEY_DISABLED'), fail('KMS_KEY_DISABLED')]);
    expect(records.map((r) => r.state)).toEqual(['healthy', 'healthy', 'disabled']);
    expect(records[1].pending).toEqual({ state: 'disabled', count: 1, firstSeen: '2026-01-01T00:01:00.000Z' });
    expect(records[2]).toMatchObject({ since: '2026-01-01T00:01:00.000Z', code: 'KMS_KEY_DISABLED', message: 'KMS_KEY_DISABLED happened', pending: null });
    expect(run([ok, fail('KMS_KEY_DISABLED')], 1).map((r) => r.state)).toEqual(['healthy', 'disabled']);
    expect(run([ok, fail('KMS_KEY_DISABLED'), fail('KMS_KEY_DISABLED')], 3).map((r) => r.state)).toEqual(['healthy', 'healthy', 'healthy']);
  });

  it('unreachable never adds up to a decision: an outage between two decisions resets the count', () => {
    const records = run([ok, fail('KMS_ACCESS_DENIED'), fail('KMS_UNAVAILABLE'), fail('KMS_ACCESS_DENIED'), fail('KMS_UNAVAILABLE'), fail('KMS_UNAVAILABLE')]);
    expect(records.map((r) => r.state)).toEqual(['healthy', 'healthy', 'unreachable', 'unreachable', 'unreachable', 'unreachable']);
    expect(records.every((r) => r.state !== 'access_denied')).toBe(true);
  });

  it('different decisions do not confirm each other', () => {
    expect(run([ok, fail('KMS_KEY_DISABLED'), fail('KMS_KEY_PENDING_DELETION'), fail('KMS_KEY_PENDING_DELETION')]).map((r) => r.state)).toEqual([
      'healthy',
      'healthy',
      'healthy',
      'pending_deletion',
    ]);
  });

  it('keeps since while the state lasts and moves checkedAt with every probe', () => {
    const records = run([ok, ok, ok]);
    expect(records.map((r) => r.since)).toEqual(Array(3).fill('2026-01-01T00:00:00.000Z'));
    expect(records[2].checkedAt).toBe('2026-01-01T00:02:00.000Z');
  });

  it('a new key with an unconfirmed decision is unknown, not healthy', () => {
    expect(run([fail('KMS_KEY_NOT_FOUND')])[0]).toMatchObject({ state: 'unknown', observed: 'not_found' });
  });
});

describe('blockingCode', () => {
  it('names the decision code, nothing for other states', () => {
    const [, , disabled] = run([ok, fail('KMS_KEY_DISABLED'), fail('KMS_KEY_DISABLED')]);
    expect(blockingCode(disabled)).toBe('KMS_KEY_DISABLED');
    expect(blockingCode(run([ok, fail('KMS_UNAVAILABLE')])[1])).toBeUndefined();
    expect(blockingCode(undefined)).toBeUndefined();
  });
});
