import { keyringDecider } from './decide';
import { activeKeyForNewDataKeys, isStrandedUnder, isWrappingAllowed, keyCanDisable, keyCanSetDefault, sweepSources } from './queries';
import { specFor, allKeysDisabled, completed, defaultChanged, failed, firstKeyDone, keyAdded, keyDisabled, started } from '@cmk/domain/testing';

const given = specFor(keyringDecider);

describe('key ring queries', () => {
  it('start with the platform key as the key for new data keys', () => {
    const { state } = given([]);
    expect(activeKeyForNewDataKeys(state)).toBe('platform');
    expect(isWrappingAllowed(state, 'platform')).toBe(true);
  });

  it('reflect a normal two-key ring', () => {
    const { state } = given([...firstKeyDone(), keyAdded('k2')]);
    expect(activeKeyForNewDataKeys(state)).toBe('k1');
    expect(keyCanSetDefault(state, 'k1')).toBe(false);
    expect(keyCanSetDefault(state, 'k2')).toBe(true);
    expect(keyCanDisable(state, 'k1')).toBe(false);
    expect(keyCanDisable(state, 'k2')).toBe(true);
    expect(isWrappingAllowed(state, 'k2')).toBe(true);
    expect(isWrappingAllowed(state, 'unknown')).toBe(false);
  });

  it('stop a disabling key from wrapping at once, and block disabling during a run', () => {
    const { state } = given([...firstKeyDone(), keyAdded('k2'), keyAdded('k3'), keyDisabled('k2', 'k1'), started('re-off', ['k2'], 'k1', 'key-disabled')]);
    expect(isWrappingAllowed(state, 'k2')).toBe(false);
    expect(keyCanSetDefault(state, 'k2')).toBe(false);
    expect(keyCanDisable(state, 'k3')).toBe(false);
    expect(keyCanSetDefault(state, 'k3')).toBe(true);
  });

  it('keep a key left disabling by a failed run out of wrapping', () => {
    const { state } = given([...firstKeyDone(), keyAdded('k2'), keyDisabled('k2', 'k1'), started('re-off', ['k2'], 'k1', 'key-disabled'), failed('re-off')]);
    expect(isWrappingAllowed(state, 'k2')).toBe(false);
    expect(keyCanDisable(state, 'k2')).toBe(false);
  });

  it('revert to the platform key after disable-all', () => {
    const { state } = given([
      ...firstKeyDone(),
      allKeysDisabled(['k1']),
      defaultChanged('k1', 'platform'),
      started('re-all', ['k1'], 'platform', 'all-keys-disabled'),
      completed('re-all'),
    ]);
    expect(activeKeyForNewDataKeys(state)).toBe('platform');
    expect(isWrappingAllowed(state, 'k1')).toBe(false);
  });

  it('call a retired key stranded only when no run is running or left its data keys for a retry', () => {
    const off = [...firstKeyDone(), keyAdded('k2'), keyDisabled('k1', 'k2'), defaultChanged('k1', 'k2'), started('re-off', ['k1'], 'k2', 'key-disabled')];
    expect(isStrandedUnder(given(off).state, 'k1')).toBe(false); // the run sweeps it
    expect(isStrandedUnder(given([...off, completed('re-off')]).state, 'k1')).toBe(true);
    expect(isStrandedUnder(given([...off, completed('re-off')]).state, 'platform')).toBe(true);
    expect(isStrandedUnder(given([...off, completed('re-off')]).state, 'k2')).toBe(false);
    expect(isStrandedUnder(given([...off, failed('re-off')]).state, 'k1')).toBe(false); // left for the retry
    expect(isStrandedUnder(given([...firstKeyDone(), keyAdded('k3')]).state, 'k3')).toBe(false); // active, not default
    expect(isStrandedUnder(given([]).state, 'platform')).toBe(false);
  });

  it('sweep by the data-key index on disable-all and retry, by the sources otherwise', () => {
    const off = [...firstKeyDone(), keyAdded('k2'), keyAdded('k3'), keyDisabled('k1', 'k2'), defaultChanged('k1', 'k2'), started('re-off', ['k1'], 'k2', 'key-disabled'), completed('re-off')];
    const all = given([...off, allKeysDisabled(['k2', 'k3']), defaultChanged('k2', 'platform'), started('re-all', ['k2', 'k3'], 'platform', 'all-keys-disabled')]).state;
    expect(sweepSources(all, { from: ['k2', 'k3'], to: 'platform', reason: 'all-keys-disabled' }).sort()).toEqual(['k1', 'k2', 'k3']);
    const single = given([...off, keyDisabled('k3', 'k2'), started('re-k3', ['k3'], 'k2', 'key-disabled')]).state;
    expect(sweepSources(single, { from: ['k3'], to: 'k2', reason: 'key-disabled' })).toEqual(['k3']);
    const retried = given([...off, keyDisabled('k3', 'k2'), started('re-k3', ['k3'], 'k2', 'key-disabled'), failed('re-k3'), started('re-k3b', ['k3'], 'k2', 'retry', 're-k3')]).state;
    expect(sweepSources(retried, { from: ['k3'], to: 'k2', reason: 'retry' }).sort()).toEqual(['k1', 'k3']);
  });
});
