import { decodeKeyringEvent, encodeKeyringEvent, KEYRING_UPCASTERS } from '../keyring/codec';
import { meta, allKeysDisabled, failed, keyAdded, started } from '@cmk/domain/testing';
import { EventDecodingError, type RawEvent } from './codec';
import { toJsonObject } from './json';

const M = meta();
const stored = (type: string, data: unknown, metadata: unknown = M): RawEvent => JSON.parse(JSON.stringify({ type, data, metadata }));

describe('key ring codec', () => {
  it('round-trips every event through JSON', () => {
    for (const event of [keyAdded('k1'), allKeysDisabled(['k1', 'k2']), started('r2', ['k1'], 'k2', 'retry', 'r1'), failed('r2')]) {
      expect(decodeKeyringEvent(stored(event.type, encodeKeyringEvent(event).data))).toEqual(event);
    }
  });

  it('omits absent optional fields when encoding', () => {
    const encoded = encodeKeyringEvent(started('r1', ['platform'], 'k1', 'first-key'));
    expect(Object.keys(encoded.data)).not.toContain('retryOf');
  });

  it('upcasts a v1 ReencryptionFailed (no counts) to zero counts', () => {
    const v1 = stored('ReencryptionFailed', { orgId: 'acme', reencryptionId: 'r1', reason: 'KMS key disabled' });
    expect(decodeKeyringEvent(v1)).toEqual({
      type: 'ReencryptionFailed',
      data: { orgId: 'acme', reencryptionId: 'r1', reason: 'KMS key disabled', rewrapped: 0, failed: 0, failuresByCode: {} },
      metadata: M,
    });
  });

  it('upcasters leave current payloads unchanged', () => {
    const current = encodeKeyringEvent(failed('r1')).data;
    for (const upcast of KEYRING_UPCASTERS['ReencryptionFailed'] ?? []) expect(upcast(current)).toEqual(current);
  });

  it('upcasts KeyAdded without provider to aws-kms', () => {
    const { provider: _provider, ...old } = encodeKeyringEvent(keyAdded('k1')).data;
    expect(decodeKeyringEvent(stored('KeyAdded', old))).toEqual(keyAdded('k1'));
  });

  it.each([
    ['an unknown type', stored('KeyExploded', { orgId: 'acme' }), 'type'],
    ['a missing field', stored('KeyDisabled', { orgId: 'acme', keyId: 'k1' }), 'data.reencryptTo'],
    ['a wrongly typed field', stored('ReencryptionProgressed', { orgId: 'acme', reencryptionId: 'r', done: '1', failed: 0, total: 1 }), 'data.done'],
    ['a negative count', stored('ReencryptionCompleted', { orgId: 'acme', reencryptionId: 'r', rewrapped: -1, failed: 0 }), 'data.rewrapped'],
    ['a bad array item', stored('AllKeysDisabled', { orgId: 'acme', keyIds: ['k1', 7] }), 'data.keyIds[1]'],
    ['an unknown enum value', stored('ReencryptionStarted', { orgId: 'acme', reencryptionId: 'r', from: [], to: 'k', reason: 'whim' }), 'data.reason'],
    ['a bad failure count', stored('ReencryptionFailed', { orgId: 'acme', reencryptionId: 'r', reason: 'x', rewrapped: 0, failed: 0, failuresByCode: { A: 'x' } }), 'data.failuresByCode.A'],
    ['data that is not an object', stored('KeyDisabled', ['acme']), 'data'],
    ['metadata without occurredAt', stored('KeyDisabled', { orgId: 'acme', keyId: 'k1', reencryptTo: 'k2' }, { ...M, occurredAt: undefined }), 'metadata.occurredAt'],
  ])('refuses %s with a typed error naming the path', (_label, raw, path) => {
    let caught: unknown;
    try {
      decodeKeyringEvent(raw);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EventDecodingError);
    expect(caught).toMatchObject({ code: 'EVENT_DECODING_FAILED', eventType: raw.type, path });
  });

  it('keeps tokenId out of decoded metadata when the event had none', () => {
    const { tokenId: _tokenId, ...system } = meta({ actor: 'system' });
    const decoded = decodeKeyringEvent(stored('KeyDisabled', { orgId: 'acme', keyId: 'k1', reencryptTo: 'k2' }, system));
    expect(decoded.metadata).toEqual(system);
  });
});

describe('toJsonObject', () => {
  it('refuses values JSON cannot carry', () => {
    expect(() => toJsonObject({ n: Number.NaN })).toThrow(TypeError);
    expect(() => toJsonObject({ b: BigInt(1) })).toThrow(TypeError);
    expect(() => toJsonObject({ d: new Date(0) })).toThrow(TypeError);
    expect(toJsonObject({ a: [1, { b: null, c: undefined }] })).toEqual({ a: [1, { b: null }] });
  });
});
