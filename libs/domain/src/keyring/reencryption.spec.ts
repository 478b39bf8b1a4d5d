import { keyringDecider } from './decide';
import { specFor, allKeysDisabled, complete, completed, defaultChanged, disableAll, disableKey, fail, failed, firstKeyDone, keyAdded, keyDisabled, progress, progressed, retry, setDefault, started } from '@cmk/domain/testing';
import { findKey } from './state';

const given = specFor(keyringDecider);
/** k1 default, k2 being disabled towards k1 under run `re-off`. */
const running = () => [...firstKeyDone(), keyAdded('k2'), keyDisabled('k2', 'k1'), started('re-off', ['k2'], 'k1', 'key-disabled')];

describe('RecordReencryptionProgress', () => {
  it('records progress of the running run', () => {
    given(running()).when(progress('re-off', 5, 1, 20)).then([progressed('re-off', 5, 1, 20)]);
  });

  it('ignores stale or repeated reports', () => {
    const history = [...running(), progressed('re-off', 5, 1, 20)];
    given(history).when(progress('re-off', 4, 1, 20)).then([]);
    given(history).when(progress('re-off', 6, 0, 20)).then([]);
    given(history).when(progress('re-off', 5, 1, 20)).then([]);
  });

  it('accepts a corrected total with the same counts', () => {
    given([...running(), progressed('re-off', 5, 1, 20)]).when(progress('re-off', 5, 1, 25)).then([progressed('re-off', 5, 1, 25)]);
  });

  it('refuses another run id, or when nothing runs', () => {
    given(running()).when(progress('re-other', 1, 0, 1)).thenRefuses('REENCRYPTION_NOT_RUNNING', { runningId: 're-off' });
    given(firstKeyDone()).when(progress('re-k1', 1, 0, 1)).thenRefuses('REENCRYPTION_NOT_RUNNING');
  });

  it('refuses negative or fractional counts', () => {
    given(running()).when(progress('re-off', -1, 0, 1)).thenRefuses('VALIDATION_FAILED', { field: 'done' });
    given(running()).when(progress('re-off', 1.5, 0, 1)).thenRefuses('VALIDATION_FAILED');
  });
});

describe('CompleteReencryption', () => {
  it('completes the running run', () => {
    given(running()).when(complete('re-off', 10, 0)).then([completed('re-off', 10, 0)]);
  });

  it('moves the run sources from disabling to disabled and frees the org', () => {
    const { state } = given([...running(), completed('re-off')]);
    expect(findKey(state, 'k2')?.status).toBe('disabled');
    expect(state.status).toBe('idle');
    given([...running(), completed('re-off'), keyAdded('k3')]).when(disableKey('k3', 'k1', 're-3')).then([
      keyDisabled('k3', 'k1'),
      started('re-3', ['k3'], 'k1', 'key-disabled'),
    ]);
  });

  it('is idempotent for a run already completed', () => {
    given([...running(), completed('re-off')]).when(complete('re-off')).then([]);
  });

  it('refuses an unknown run, or one that failed', () => {
    given(running()).when(complete('re-other')).thenRefuses('REENCRYPTION_NOT_RUNNING');
    given([...running(), failed('re-off')]).when(complete('re-off')).thenRefuses('REENCRYPTION_NOT_RUNNING');
  });
});

describe('FailReencryption', () => {
  it('records the failure', () => {
    given(running()).when(fail('re-off')).then([failed('re-off')]);
  });

  it('leaves the sources disabling (still decrypting, never wrapping) and frees the org', () => {
    const { state } = given([...running(), failed('re-off')]);
    expect(findKey(state, 'k2')?.status).toBe('disabling');
    expect(state.status).toBe('idle');
    expect(state.lastRun).toMatchObject({ outcome: 'failed', reencryptionId: 're-off', failuresByCode: { KMS_ACCESS_DENIED: 2 } });
    given([...running(), failed('re-off'), keyAdded('k3')]).when(setDefault('k3')).then([defaultChanged('k1', 'k3')]);
  });

  it('is idempotent for a run that already failed', () => {
    given([...running(), failed('re-off')]).when(fail('re-off')).then([]);
  });

  it('refuses a run that is not running', () => {
    given(running()).when(fail('re-other')).thenRefuses('REENCRYPTION_NOT_RUNNING');
    given([...running(), completed('re-off')]).when(fail('re-off')).thenRefuses('REENCRYPTION_NOT_RUNNING');
  });
});

describe('RetryReencryption', () => {
  it('restarts the failed run with the same sources and target under a new id', () => {
    given([...running(), failed('re-off')]).when(retry('re-off-2')).then([started('re-off-2', ['k2'], 'k1', 'retry', 're-off')]);
  });

  it('retries a failed first-key run', () => {
    given([keyAdded('k1'), defaultChanged('platform', 'k1'), started('re-k1', ['platform'], 'k1', 'first-key'), failed('re-k1')])
      .when(retry('re-k1-2'))
      .then([started('re-k1-2', ['platform'], 'k1', 'retry', 're-k1')]);
  });

  it('completing the retry disables the original sources', () => {
    const { state } = given([...running(), failed('re-off'), started('re-off-2', ['k2'], 'k1', 'retry', 're-off'), completed('re-off-2')]);
    expect(findKey(state, 'k2')?.status).toBe('disabled');
  });

  it('refuses when the last run did not fail, or there was none', () => {
    given(firstKeyDone()).when(retry('re-x')).thenRefuses('REENCRYPTION_NOT_FAILED');
    given([]).when(retry('re-x')).thenRefuses('REENCRYPTION_NOT_FAILED');
  });

  it('keeps a failed disable retryable: another disable is refused until the retry (or disable-all)', () => {
    const history = [...running(), failed('re-off'), keyAdded('k3')];
    given(history).when(disableKey('k3', 'k1', 're-k3')).thenRefuses('REENCRYPTION_RETRY_PENDING', { reencryptionId: 're-off', keyIds: ['k2'] });
    given(history)
      .when(disableAll('re-all'))
      .then([allKeysDisabled(['k1', 'k2', 'k3']), defaultChanged('k1', 'platform'), started('re-all', ['k1', 'k2', 'k3'], 'platform', 'all-keys-disabled')]);
    const retried = [...history, started('re-off-2', ['k2'], 'k1', 'retry', 're-off'), completed('re-off-2')];
    given(retried).when(disableKey('k3', 'k1', 're-k3')).then([keyDisabled('k3', 'k1'), started('re-k3', ['k3'], 'k1', 'key-disabled')]);
  });

  it('a failed first-key run does not block disabling another key (no CMK is left disabling)', () => {
    const history = [keyAdded('k1'), defaultChanged('platform', 'k1'), started('re-k1', ['platform'], 'k1', 'first-key'), failed('re-k1'), keyAdded('k2')];
    given(history).when(disableKey('k2', 'k1', 're-k2')).then([keyDisabled('k2', 'k1'), started('re-k2', ['k2'], 'k1', 'key-disabled')]);
  });

  it('refuses while a run is running', () => {
    given(running()).when(retry('re-x')).thenRefuses('REENCRYPTION_RUNNING');
    given([...running(), failed('re-off'), started('re-off-2', ['k2'], 'k1', 'retry', 're-off')]).when(retry('re-off-3')).thenRefuses('REENCRYPTION_RUNNING');
  });

  it('refuses when the target is no longer usable (defensive: only a hand-written history gets here)', () => {
    // Through this decider, disabling a failed run's target always starts a newer run, so the
    // rule guards histories written by other tools or older versions.
    const history = [
      ...firstKeyDone(),
      keyAdded('k2'),
      keyAdded('k3'),
      keyDisabled('k2', 'k3'),
      started('re-2', ['k2'], 'k3', 'key-disabled'),
      keyDisabled('k3', 'k1'),
      failed('re-2'),
    ];
    given(history).when(retry('re-2b')).thenRefuses('DESTINATION_INVALID', { to: 'k3' });
  });

  it('refuses a reused run id', () => {
    given([...running(), failed('re-off')]).when(retry('re-off')).thenRefuses('VALIDATION_FAILED', { field: 'reencryptionId' });
  });
});
