import { decodeDataKeyQuotaEvent, encodeDataKeyQuotaEvent, quotaAllows, type DataKeyQuotaEvent } from './quota';
import { encryptsAt, isSpent, retiresAt, type DataKeyUsePolicy } from './rules';
import type { DataKeyState } from './state';
import { meta } from '@cmk/domain/testing';

const policy: DataKeyUsePolicy = { maxUses: 100, maxAgeMs: 60_000, reserveBlock: 10 };
const key = (reservedUses: number): DataKeyState & { status: 'issued' } => ({
  status: 'issued',
  orgId: 'acme',
  dataKeyId: 'dk1',
  scope: 's',
  wrappedBy: 'platform',
  kekRef: 'platform-org:g1',
  wrapped: 'AAA=',
  issuedAt: '2026-01-01T00:00:00.000Z',
  generation: 0,
  reservedUses,
  rewrappedBy: [],
});
const issuedMs = Date.parse('2026-01-01T00:00:00.000Z');

describe('data key use rules', () => {
  it('encrypts until the next block would pass the limit', () => {
    expect(isSpent(key(90), policy)).toBe(false);
    expect(isSpent(key(91), policy)).toBe(true);
    expect(encryptsAt(key(91), policy, issuedMs)).toBe(false);
  });

  it('encrypts until its age limit, measured from its issue', () => {
    expect(retiresAt(key(0), policy)).toBe(issuedMs + 60_000);
    expect(encryptsAt(key(0), policy, issuedMs + 59_999)).toBe(true);
    expect(encryptsAt(key(0), policy, issuedMs + 60_000)).toBe(false);
  });
});

describe('data key quota', () => {
  it('allows a new data key only below the maximum', () => {
    expect(quotaAllows(9, 10)).toBe(true);
    expect(quotaAllows(10, 10)).toBe(false);
  });

  it('round-trips its events and validates the count', () => {
    const M = meta({ actor: 'user:x' });
    for (const event of [
      { type: 'DataKeyCounted', data: { orgId: 'acme', dataKeyId: 'dk1', count: 3 }, metadata: M },
      { type: 'DataKeyUncounted', data: { orgId: 'acme', dataKeyId: 'dk1', count: 2 }, metadata: M },
    ] as DataKeyQuotaEvent[]) {
      expect(decodeDataKeyQuotaEvent(JSON.parse(JSON.stringify(encodeDataKeyQuotaEvent(event))))).toEqual(event);
    }
    expect(() => decodeDataKeyQuotaEvent({ type: 'DataKeyCounted', data: { orgId: 'acme', dataKeyId: 'dk1', count: 'x' }, metadata: M })).toThrow(
      expect.objectContaining({ code: 'EVENT_DECODING_FAILED', path: 'data.count' }),
    );
  });
});
