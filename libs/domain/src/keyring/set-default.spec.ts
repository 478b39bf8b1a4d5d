import { keyringDecider } from './decide';
import { specFor, completed, defaultChanged, firstKeyDone, keyAdded, keyDisabled, setDefault, started, failed } from '@cmk/domain/testing';

const given = specFor(keyringDecider);

describe('SetDefaultKey', () => {
  it('moves the default to another active key', () => {
    given([...firstKeyDone(), keyAdded('k2')]).when(setDefault('k2')).then([defaultChanged('k1', 'k2')]);
  });

  it('refuses an unknown key', () => {
    given(firstKeyDone()).when(setDefault('nope')).thenRefuses('KEY_NOT_FOUND', { keyId: 'nope' });
  });

  it('refuses the platform key while a CMK is default (only disable-all reverts to it)', () => {
    given(firstKeyDone()).when(setDefault('platform')).thenRefuses('KEY_NOT_FOUND');
  });

  it('refuses the current default', () => {
    given(firstKeyDone()).when(setDefault('k1')).thenRefuses('KEY_IS_DEFAULT');
    given([]).when(setDefault('platform')).thenRefuses('KEY_IS_DEFAULT');
  });

  it('refuses a disabling or disabled key', () => {
    const disabling = [...firstKeyDone(), keyAdded('k2'), keyDisabled('k2', 'k1'), started('re-off', ['k2'], 'k1', 'key-disabled')];
    given(disabling).when(setDefault('k2')).thenRefuses('KEY_NOT_ACTIVE', { status: 'disabling' });
    given([...disabling, completed('re-off')]).when(setDefault('k2')).thenRefuses('KEY_NOT_ACTIVE', { status: 'disabled' });
    given([...disabling, failed('re-off')]).when(setDefault('k2')).thenRefuses('KEY_NOT_ACTIVE', { status: 'disabling' });
  });

  it('refuses the target of the running re-encryption with KEY_UNDER_REENCRYPTION', () => {
    const history = [...firstKeyDone(), keyAdded('k2'), keyAdded('k3'), keyDisabled('k2', 'k3'), started('re-off', ['k2'], 'k3', 'key-disabled')];
    given(history).when(setDefault('k3')).thenRefuses('KEY_UNDER_REENCRYPTION', { reencryptionId: 're-off' });
  });

  it('allows another active key to become default while a run is going on', () => {
    const history = [...firstKeyDone(), keyAdded('k2'), keyAdded('k3'), keyDisabled('k2', 'k1'), started('re-off', ['k2'], 'k1', 'key-disabled')];
    given(history).when(setDefault('k3')).then([defaultChanged('k1', 'k3')]);
  });
});
