import { specFor, meta } from '@cmk/domain/testing';
import { decodeDataKeyEvent, encodeDataKeyEvent } from './codec';
import type { DataKeyCommand, IssueDataKey, RewrapDataKey } from './commands';
import { dataKeyDecider } from './decide';
import { currentWrapping } from './state';
import type { DataKeyEvent } from './events';

const given = specFor(dataKeyDecider);
const M = meta({ actor: 'system' });

const issue = (overrides: Partial<IssueDataKey['data']> = {}): IssueDataKey => ({
  type: 'IssueDataKey',
  data: { orgId: 'acme', dataKeyId: 'dk1', scope: 'env/prod', wrappedBy: 'platform', kekRef: 'platform-v1', wrapped: 'AAA=', ...overrides },
  metadata: M,
});
const issued: DataKeyEvent = {
  type: 'DataKeyIssued',
  data: { orgId: 'acme', dataKeyId: 'dk1', scope: 'env/prod', wrappedBy: 'platform', kekRef: 'platform-v1', wrapped: 'AAA=' },
  metadata: M,
};
const rewrap = (sources: string[], to: string, reencryptionId = 'r1', overrides: Partial<RewrapDataKey['data']> = {}): RewrapDataKey => ({
  type: 'RewrapDataKey',
  data: { orgId: 'acme', dataKeyId: 'dk1', reencryptionId, sources, to, kekRef: `arn-${to}`, wrapped: `W-${to}`, ...overrides },
  metadata: M,
});
const rewrapped = (from: string, to: string, reencryptionId = 'r1'): DataKeyEvent => ({
  type: 'DataKeyRewrapped',
  data: { orgId: 'acme', dataKeyId: 'dk1', from, to, kekRef: `arn-${to}`, wrapped: `W-${to}`, reencryptionId },
  metadata: M,
});

describe('IssueDataKey', () => {
  it('issues a data key', () => {
    given([]).when(issue()).then([issued]);
  });

  it('is a no-op when repeated with the same payload, refused otherwise', () => {
    given([issued]).when(issue()).then([]);
    given([issued]).when(issue({ wrapped: 'BBB=' })).thenRefuses('DATA_KEY_EXISTS');
    given([issued, rewrapped('platform', 'k1')]).when(issue()).thenRefuses('DATA_KEY_EXISTS');
  });

  it('refuses empty fields', () => {
    given([]).when(issue({ kekRef: '' })).thenRefuses('VALIDATION_FAILED', { field: 'kekRef' });
  });
});

describe('RewrapDataKey', () => {
  it('rewraps a data key wrapped by one of the run sources', () => {
    given([issued]).when(rewrap(['platform'], 'k1')).then([rewrapped('platform', 'k1')]);
    given([issued, rewrapped('platform', 'k1')]).when(rewrap(['k1', 'k2'], 'platform', 'r2')).then([rewrapped('k1', 'platform', 'r2')]);
  });

  it('skips (no events) a data key no longer wrapped by a source: retried batch or replayed job', () => {
    given([issued, rewrapped('platform', 'k1')]).when(rewrap(['platform'], 'k1')).then([]);
    given([issued]).when(rewrap(['k7'], 'k1')).then([]);
  });

  it('refuses an unknown data key, another org, and a target among the sources', () => {
    given([]).when(rewrap(['platform'], 'k1')).thenRefuses('DATA_KEY_NOT_FOUND');
    given([issued]).when(rewrap(['platform'], 'k1', 'r1', { orgId: 'other' })).thenRefuses('VALIDATION_FAILED', { field: 'orgId' });
    given([issued]).when(rewrap(['platform', 'k1'], 'k1')).thenRefuses('VALIDATION_FAILED', { field: 'sources' });
    given([issued]).when(rewrap([], 'k1')).thenRefuses('VALIDATION_FAILED', { field: 'sources' });
  });

  it('exposes the current wrapping and the runs that moved it', () => {
    expect(currentWrapping(dataKeyDecider.initialState())).toBeUndefined();
    const { state } = given([issued, rewrapped('platform', 'k1'), rewrapped('k1', 'k2', 'r2')]);
    expect(currentWrapping(state)).toEqual({ wrappedBy: 'k2', kekRef: 'arn-k2', wrapped: 'W-k2' });
    expect(state.status === 'issued' && state.rewrappedBy).toEqual(['r1', 'r2']);
  });
});

describe('data key codec', () => {
  it('round-trips and validates', () => {
    for (const event of [issued, rewrapped('platform', 'k1')]) {
      expect(decodeDataKeyEvent(JSON.parse(JSON.stringify(encodeDataKeyEvent(event))))).toEqual(event);
    }
    expect(() => decodeDataKeyEvent({ type: 'DataKeyRewrapped', data: { orgId: 'acme', dataKeyId: 'dk1' }, metadata: M })).toThrow(
      expect.objectContaining({ code: 'EVENT_DECODING_FAILED', path: 'data.from' }),
    );
  });
});

describe('ReserveDataKeyUse', () => {
  const reserve = (count: number, limit = 10, orgId = 'acme'): DataKeyCommand => ({
    type: 'ReserveDataKeyUse',
    data: { orgId, dataKeyId: 'dk1', count, limit },
    metadata: M,
  });
  const reserved = (upTo: number): DataKeyEvent => ({ type: 'DataKeyUseReserved', data: { orgId: 'acme', dataKeyId: 'dk1', upTo }, metadata: M });

  it('records the new total reserved, block after block, up to the limit', () => {
    given([issued]).when(reserve(4)).then([reserved(4)]);
    given([issued, reserved(4)]).when(reserve(4)).then([reserved(8)]);
    given([issued, reserved(4), reserved(8)]).when(reserve(2)).then([reserved(10)]);
  });

  it('refuses a block that would pass the limit (the key is spent), whole', () => {
    given([issued, reserved(8)]).when(reserve(4)).thenRefuses('DATA_KEY_USE_EXHAUSTED', { reserved: 8, limit: 10 });
    given([issued, reserved(10)]).when(reserve(1)).thenRefuses('DATA_KEY_USE_EXHAUSTED');
  });

  it('refuses unknown keys, another org and nonsense counts', () => {
    given([]).when(reserve(1)).thenRefuses('DATA_KEY_NOT_FOUND');
    given([issued]).when(reserve(1, 10, 'other')).thenRefuses('VALIDATION_FAILED', { field: 'orgId' });
    given([issued]).when(reserve(0)).thenRefuses('VALIDATION_FAILED', { field: 'count' });
    given([issued]).when(reserve(1, 0)).thenRefuses('VALIDATION_FAILED', { field: 'limit' });
  });

  it('folds reservations into the state; a rewrap keeps the count', () => {
    const { state } = given([issued, reserved(4), rewrapped('platform', 'k1'), reserved(8)]);
    expect(state.status === 'issued' && [state.reservedUses, state.generation, state.wrappedBy]).toEqual([8, 0, 'k1']);
  });

  it('issues later generations with their number; data keys from before generations are generation 0', () => {
    const second = { ...issued, data: { ...issued.data, generation: 2 } } as DataKeyEvent;
    given([]).when(issue({ generation: 2 })).then([second]);
    expect(given([second]).state).toMatchObject({ generation: 2, reservedUses: 0 });
    expect(given([issued]).state).toMatchObject({ generation: 0 });
    given([second]).when(issue({ generation: 2 })).then([]);
    given([second]).when(issue()).thenRefuses('DATA_KEY_EXISTS');
  });

  it('codec: round-trips reservations and generations, and reads old events without a generation', () => {
    for (const event of [reserved(4), { ...issued, data: { ...issued.data, generation: 3 } } as DataKeyEvent]) {
      expect(decodeDataKeyEvent(JSON.parse(JSON.stringify(encodeDataKeyEvent(event))))).toEqual(event);
    }
    expect(decodeDataKeyEvent(JSON.parse(JSON.stringify(encodeDataKeyEvent(issued))))).toEqual(issued);
    expect(() => decodeDataKeyEvent({ type: 'DataKeyUseReserved', data: { orgId: 'acme', dataKeyId: 'dk1', upTo: -1 }, metadata: M })).toThrow(
      expect.objectContaining({ code: 'EVENT_DECODING_FAILED', path: 'data.upTo' }),
    );
  });
});
