import { UnrecoverableError } from 'bullmq';
import type { KeyringState } from '@cmk/domain';
import { keysAgree } from './payloads';
import { runKeysFor } from './run-keyring';

const RUN = 're-0123456789abcdef0123456789abcdef';
const idle = { status: 'idle', orgId: 'acme', defaultKeyId: 'k1', keys: [], runs: { [RUN]: 'completed' }, lastRun: undefined } as unknown as KeyringState;
const running = {
  ...idle,
  status: 'reencrypting',
  runs: { [RUN]: 'running' },
  run: { reencryptionId: RUN, from: ['platform', 'k0'], to: 'k1', reason: 'first-key', done: 0, failed: 0, total: 0 },
} as unknown as KeyringState;

function refusal(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('not refused');
}

describe('a job works with the keys of the key ring, never with keys from its payload', () => {
  it("takes source and destination from the ring's running run", () => {
    expect(runKeysFor(running, { orgId: 'acme', reencryptionId: RUN })).toEqual({ from: ['platform', 'k0'], to: 'k1' });
  });

  it("runs a previous release's payload only when the keys it names are exactly the ring's", () => {
    expect(runKeysFor(running, { orgId: 'acme', reencryptionId: RUN, named: { from: ['k0', 'platform'], to: 'k1' } })).toEqual({ from: ['platform', 'k0'], to: 'k1' });
    for (const named of [
      { from: ['platform', 'k0'], to: 'k-attacker' },
      { from: ['platform'], to: 'k1' },
      { from: ['platform', 'k0', 'k2'], to: 'k1' },
      { from: ['platform', 'k2'], to: 'k1' },
    ]) {
      const error = refusal(() => runKeysFor(running, { orgId: 'acme', reencryptionId: RUN, named }));
      expect(error).toBeInstanceOf(UnrecoverableError);
      expect(error).toMatchObject({ reason: 'keys_disagree' });
      expect(keysAgree(named, { from: ['platform', 'k0'], to: 'k1' })).toBe(false);
    }
  });

  it('refuses a job of a run that is not running, and tells a finished run from one the org never had', () => {
    expect(refusal(() => runKeysFor(idle, { orgId: 'acme', reencryptionId: RUN }))).toMatchObject({ reason: 'run_not_running' });
    expect(refusal(() => runKeysFor(running, { orgId: 'acme', reencryptionId: 're-forged' }))).toMatchObject({ reason: 'unknown_run', message: 'Re-encryption re-forged is not a run of this organisation' });
  });
});
