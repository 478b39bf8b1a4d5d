import { dataKeyIssued, dataKeyRewrapped, dataKeyEvents } from '@cmk/read-models/testing';
import { applyIndexChanges, countsOf, dataKeyIndexChanges, type DataKeyIndexState } from './data-key-index';

const ORG = 'org-dkindex';
const fold = (events: ReturnType<typeof dataKeyEvents>): DataKeyIndexState =>
  events.reduce<DataKeyIndexState>((state, event, i) => applyIndexChanges(state, dataKeyIndexChanges(event, i + 1)), {});

describe('data-key index projection', () => {
  it('an issued data key is listed under the key that wraps it, scored by its event', () => {
    expect(dataKeyIndexChanges(dataKeyEvents(dataKeyIssued(ORG, 'dk1', 'platform'))[0], 7)).toEqual([
      { op: 'add', orgId: ORG, wrappingKeyId: 'platform', dataKeyId: 'dk1', score: 7 },
    ]);
  });

  it('a rewrap moves the data key from the source to the target', () => {
    const state = fold(dataKeyEvents(dataKeyIssued(ORG, 'dk1', 'platform'), dataKeyIssued(ORG, 'dk2', 'platform'), dataKeyRewrapped(ORG, 'dk1', 'platform', 'k1', 'r1')));
    expect(state).toEqual({ platform: { dk2: 2 }, k1: { dk1: 3 } });
    expect(countsOf(state)).toEqual({ platform: 1, k1: 1 });
  });

  it('a wrapping key that gave away all its data keys still counts, with zero', () => {
    const state = fold(dataKeyEvents(dataKeyIssued(ORG, 'dk1', 'k1'), dataKeyRewrapped(ORG, 'dk1', 'k1', 'platform', 'r1')));
    expect(countsOf(state)).toEqual({ k1: 0, platform: 1 });
  });

  it('feeding every event twice gives the same index as feeding it once', () => {
    const events = dataKeyEvents(
      dataKeyIssued(ORG, 'dk1', 'platform'),
      dataKeyIssued(ORG, 'dk2', 'platform'),
      dataKeyRewrapped(ORG, 'dk1', 'platform', 'k1', 'r1'),
      dataKeyRewrapped(ORG, 'dk1', 'k1', 'k2', 'r2'),
    );
    const once = events.reduce<DataKeyIndexState>((s, e, i) => applyIndexChanges(s, dataKeyIndexChanges(e, i)), {});
    const twice = events.reduce<DataKeyIndexState>((s, e, i) => applyIndexChanges(applyIndexChanges(s, dataKeyIndexChanges(e, i)), dataKeyIndexChanges(e, i)), {});
    expect(twice).toEqual(once);
  });
});
