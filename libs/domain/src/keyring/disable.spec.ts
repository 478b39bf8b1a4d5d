import { keyringDecider } from './decide';
import { specFor, allKeysDisabled, completed, defaultChanged, disableAll, disableKey, failed, firstKeyDone, keyAdded, keyDisabled, started } from '@cmk/domain/testing';

const given = specFor(keyringDecider);
const twoKeys = () => [...firstKeyDone(), keyAdded('k2')];

describe('DisableKey', () => {
  it('disables the key and starts moving its data keys to the destination', () => {
    given(twoKeys())
      .when(disableKey('k2', 'k1', 're-off'))
      .then([keyDisabled('k2', 'k1'), started('re-off', ['k2'], 'k1', 'key-disabled')]);
  });

  it('accepts the platform key as destination', () => {
    given(twoKeys())
      .when(disableKey('k2', 'platform', 're-off'))
      .then([keyDisabled('k2', 'platform'), started('re-off', ['k2'], 'platform', 'key-disabled')]);
  });

  it('refuses an unknown key, the default key and a key already disabled', () => {
    given(twoKeys()).when(disableKey('nope', 'k1')).thenRefuses('KEY_NOT_FOUND');
    given(twoKeys()).when(disableKey('k1', 'k2')).thenRefuses('KEY_IS_DEFAULT');
    const done = [...twoKeys(), keyDisabled('k2', 'k1'), started('re-off', ['k2'], 'k1', 'key-disabled'), completed('re-off')];
    given(done).when(disableKey('k2', 'k1', 're-2')).thenRefuses('KEY_NOT_ACTIVE');
  });

  it('refuses while any re-encryption is running', () => {
    const running = [...twoKeys(), keyAdded('k3'), keyDisabled('k2', 'k1'), started('re-off', ['k2'], 'k1', 'key-disabled')];
    given(running).when(disableKey('k3', 'k1', 're-2')).thenRefuses('REENCRYPTION_RUNNING', { reencryptionId: 're-off' });
  });

  it('refuses the key itself, an unknown key or an inactive key as destination', () => {
    given(twoKeys()).when(disableKey('k2', 'k2')).thenRefuses('DESTINATION_INVALID');
    given(twoKeys()).when(disableKey('k2', 'nope')).thenRefuses('DESTINATION_INVALID');
    const k3Gone = [...twoKeys(), keyAdded('k3'), keyDisabled('k3', 'k1'), started('re-off', ['k3'], 'k1', 'key-disabled'), completed('re-off')];
    given(k3Gone).when(disableKey('k2', 'k3', 're-2')).thenRefuses('DESTINATION_INVALID');
  });

  it('refuses a reused run id', () => {
    given(twoKeys()).when(disableKey('k2', 'k1', 're-k1')).thenRefuses('VALIDATION_FAILED', { field: 'reencryptionId' });
  });
});

describe('DisableAllKeys', () => {
  it('disables every CMK, reverts the default to platform and moves everything there', () => {
    given(twoKeys())
      .when(disableAll('re-all'))
      .then([
        allKeysDisabled(['k1', 'k2']),
        defaultChanged('k1', 'platform'),
        started('re-all', ['k1', 'k2'], 'platform', 'all-keys-disabled'),
      ]);
  });

  it('includes keys left disabling by a failed run and skips keys already disabled', () => {
    const history = [
      ...twoKeys(),
      keyAdded('k3'),
      keyDisabled('k3', 'k1'),
      started('re-3', ['k3'], 'k1', 'key-disabled'),
      completed('re-3'),
      keyDisabled('k2', 'k1'),
      started('re-2', ['k2'], 'k1', 'key-disabled'),
      failed('re-2'),
    ];
    given(history)
      .when(disableAll('re-all'))
      .then([allKeysDisabled(['k1', 'k2']), defaultChanged('k1', 'platform'), started('re-all', ['k1', 'k2'], 'platform', 'all-keys-disabled')]);
  });

  it('does not change the default when it already is platform', () => {
    const history = [...firstKeyDone(), allKeysDisabled(['k1']), defaultChanged('k1', 'platform'), started('re-all', ['k1'], 'platform', 'all-keys-disabled'), failed('re-all')];
    given(history)
      .when(disableAll('re-all-2'))
      .then([allKeysDisabled(['k1']), started('re-all-2', ['k1'], 'platform', 'all-keys-disabled')]);
  });

  it('refuses when there is no CMK to disable', () => {
    given([]).when(disableAll()).thenRefuses('NO_KEYS');
    const allGone = [...firstKeyDone(), allKeysDisabled(['k1']), defaultChanged('k1', 'platform'), started('re-all', ['k1'], 'platform', 'all-keys-disabled'), completed('re-all')];
    given(allGone).when(disableAll('re-all-2')).thenRefuses('NO_KEYS');
  });

  it('refuses while a re-encryption is running', () => {
    given([keyAdded('k1'), defaultChanged('platform', 'k1'), started('re-k1', ['platform'], 'k1', 'first-key')])
      .when(disableAll())
      .thenRefuses('REENCRYPTION_RUNNING');
  });
});
