import { specFor } from '@cmk/domain/testing';
import { keyHealthCodec } from './codec';
import { keyHealthDecider } from './decide';
import type { KeyHealthChanged } from './events';

const metadata = { actor: 'system', requestId: 'r', correlationId: 'c', causationId: 'c', occurredAt: '2026-01-01T00:00:00.000Z' };
const given = specFor(keyHealthDecider);
const record = (state: 'healthy' | 'disabled', keyId = 'k1') =>
  ({ type: 'RecordKeyHealth', data: { orgId: 'acme', keyId, state, reason: state, since: '2026-01-01T00:00:00.000Z' }, metadata }) as const;
const changed = (from: KeyHealthChanged['data']['from'], to: 'healthy' | 'disabled', keyId = 'k1'): KeyHealthChanged => ({
  type: 'KeyHealthChanged',
  data: { orgId: 'acme', keyId, from, to, reason: to, since: '2026-01-01T00:00:00.000Z' },
  metadata,
});

describe('key health decider', () => {
  it('records the first state of a key as a change from unknown', () => {
    given([]).when(record('healthy')).then([changed('unknown', 'healthy')]);
  });

  it('appends nothing when the state is unchanged (a probe is not an event)', () => {
    given([changed('unknown', 'healthy')]).when(record('healthy')).then([]);
  });

  it('records a change per key', () => {
    given([changed('unknown', 'healthy')]).when(record('disabled')).then([changed('healthy', 'disabled')]);
    given([changed('unknown', 'healthy')]).when(record('disabled', 'k2')).then([changed('unknown', 'disabled', 'k2')]);
  });

  it('round-trips through the codec', () => {
    const event = { ...changed('healthy', 'disabled'), data: { ...changed('healthy', 'disabled').data, code: 'KMS_KEY_DISABLED' } };
    expect(keyHealthCodec.decode(keyHealthCodec.encode(event))).toEqual(event);
    expect(() => keyHealthCodec.decode({ type: 'KeyHealthChanged', data: { ...event.data, to: 'broken' }, metadata })).toThrow(/data.to/);
  });
});
