import { EventDecodingError } from '@cmk/domain';
import { dataKeyIssued, keyAdded, keyring, metadata, recorded } from '@cmk/read-models/testing';
import { dataKeyIndexChanges } from '../projections/data-key-index';
import { toProjectedEvent } from './projected-event';

describe('decoding at the read-model edge', () => {
  it('tags keyring and data key events with their org and position', () => {
    expect(toProjectedEvent(recorded(keyAdded('org-c1', 'k1'), 4))).toMatchObject({ category: 'keyring', orgId: 'org-c1', position: { commit: 4n }, event: { type: 'KeyAdded' } });
    expect(toProjectedEvent(recorded(dataKeyIssued('org-c1', 'dk1', 'platform'), 5))).toMatchObject({ category: 'datakey', orgId: 'org-c1', event: { type: 'DataKeyIssued' } });
  });

  it('steps over other streams and event types it does not project', () => {
    expect(toProjectedEvent(recorded({ stream: 'org-c2', type: 'OrganizationRegistered', data: { orgId: 'c2' }, metadata: metadata() }, 1))).toBeUndefined();
    expect(toProjectedEvent(recorded(keyring('org-c2', 'SomethingNewer', {}), 1))).toBeUndefined();
    expect(toProjectedEvent(recorded({ stream: 'elsewhere-1', type: 'KeyAdded', data: {}, metadata: metadata() }, 1))).toBeUndefined();
  });

  it('projects use reservations as no index change, and steps over the data-key quota stream', () => {
    const reserved = toProjectedEvent(
      recorded({ stream: 'datakey-dk1', type: 'DataKeyUseReserved', data: { orgId: 'org-c5', dataKeyId: 'dk1', upTo: 1024 }, metadata: metadata() }, 2),
    );
    expect(reserved).toMatchObject({ category: 'datakey', orgId: 'org-c5', event: { type: 'DataKeyUseReserved' } });
    if (reserved?.category !== 'datakey') throw new Error('expected a data key event');
    expect(dataKeyIndexChanges(reserved.event, 2)).toEqual([]);
    const counted = { stream: 'datakeyquota-org-c5', type: 'DataKeyCounted', data: { orgId: 'org-c5', dataKeyId: 'dk1', count: 1 }, metadata: metadata() };
    expect(toProjectedEvent(recorded(counted, 3))).toBeUndefined();
  });

  it('rejects a malformed payload of a known type, and an event naming another org than its stream', () => {
    expect(() => toProjectedEvent(recorded(keyring('org-c3', 'KeyDisabled', { keyId: 7 }), 1))).toThrow(EventDecodingError);
    const foreign = { ...keyAdded('org-c3', 'k1'), stream: 'keyring-org-other' };
    expect(() => toProjectedEvent(recorded(foreign, 1))).toThrow(/names org/);
  });

  it('upcasts old shapes through the domain codec', () => {
    const v1 = keyring('org-c4', 'ReencryptionFailed', { reencryptionId: 'r1', reason: 'denied' });
    expect(toProjectedEvent(recorded(v1, 1))).toMatchObject({ event: { data: { rewrapped: 0, failed: 0, failuresByCode: {} } } });
  });
});
