import { keyringDecider } from './decide';
import { activeKeyForNewDataKeys, isWrappingAllowed, keyCanDisable, keyCanSetDefault } from './queries';
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
});
