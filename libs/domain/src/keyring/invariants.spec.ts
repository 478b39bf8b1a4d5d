import fc from 'fast-check';
import { DomainError } from '../shared/domain-error';
import { meta, keyArnOf, ORG, roleArn } from '@cmk/domain/testing';
import { decodeKeyringEvent, encodeKeyringEvent } from './codec';
import type { KeyringCommand } from './commands';
import { PLATFORM_KEY_ID } from './events';
import { keyringDecider } from './decide';
import { isWrappingAllowed } from './queries';
import type { KeyringState } from './state';

/**
 * Property: whatever sequence of commands admins and workers send, the accepted ones keep the
 * key ring's invariants, and every event emitted survives the event store round trip.
 */
const M = meta();
const count = fc.nat({ max: 50 });

/**
 * Commands are generated as intents resolved against the current state, so most of them name an
 * existing key or the running run and get accepted (random ids alone are nearly always refused).
 */
const mostly = fc.constantFrom(true, true, true, true, false);
const keyRef = fc.record({ existing: mostly, index: fc.nat(), fallback: fc.constantFrom('k1', 'k2', 'k3', 'k4', 'k5') });
const targetRef = fc.oneof(keyRef, fc.constant({ existing: false, index: 0, fallback: PLATFORM_KEY_ID }));
const runRef = fc.record({ current: mostly, fallback: fc.constantFrom('r1', 'r2', 'r3') });
const freshRun = fc.record({ fresh: mostly, fallback: fc.constantFrom('r1', 'r2', 'r3') });
const name = fc.constantFrom('Prod', 'prod ', 'Staging', 'DR', 'dr', 'Backup', 'Edge', 'Lab');

type Ref = { existing: boolean; index: number; fallback: string };
type Intent =
  | { kind: 'add'; key: string; name: string; run: { fresh: boolean; fallback: string } }
  | { kind: 'setDefault'; key: Ref }
  | { kind: 'disable'; key: Ref; to: Ref; run: { fresh: boolean; fallback: string } }
  | { kind: 'disableAll'; run: { fresh: boolean; fallback: string } }
  | { kind: 'progress' | 'complete' | 'fail'; run: { current: boolean; fallback: string }; a: number; b: number; c: number }
  | { kind: 'retry'; run: { fresh: boolean; fallback: string } };

const intent: fc.Arbitrary<Intent> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), key: fc.constantFrom('k1', 'k2', 'k3', 'k4', 'k5'), name, run: freshRun }),
  fc.record({ kind: fc.constant('setDefault' as const), key: keyRef }),
  fc.record({ kind: fc.constant('disable' as const), key: keyRef, to: targetRef, run: freshRun }),
  fc.record({ kind: fc.constant('disableAll' as const), run: freshRun }),
  fc.record({ kind: fc.constantFrom('progress' as const, 'complete' as const, 'fail' as const), run: runRef, a: count, b: count, c: count }),
  fc.record({ kind: fc.constant('retry' as const), run: freshRun }),
);

function toCommand(i: Intent, state: KeyringState, step: number): KeyringCommand {
  const key = (ref: Ref): string => (ref.existing && state.keys.length > 0 ? state.keys[ref.index % state.keys.length].keyId : ref.fallback);
  const newRun = (ref: { fresh: boolean; fallback: string }): string => (ref.fresh ? `run-${step}` : ref.fallback);
  const currentRun = (ref: { current: boolean; fallback: string }): string =>
    ref.current && state.status === 'reencrypting' ? state.run.reencryptionId : (state.lastRun?.reencryptionId ?? ref.fallback);
  const orgId = ORG;
  switch (i.kind) {
    case 'add':
      return {
        type: 'AddKey',
        data: { orgId, keyId: i.key, name: i.name, roleArn, keyArn: keyArnOf(i.key), resolvedKeyArn: keyArnOf(i.key), edition: 'enterprise', reencryptionId: newRun(i.run) },
        metadata: M,
      };
    case 'setDefault':
      return { type: 'SetDefaultKey', data: { orgId, keyId: key(i.key) }, metadata: M };
    case 'disable':
      return { type: 'DisableKey', data: { orgId, keyId: key(i.key), destinationKeyId: key(i.to), reencryptionId: newRun(i.run) }, metadata: M };
    case 'disableAll':
      return { type: 'DisableAllKeys', data: { orgId, reencryptionId: newRun(i.run) }, metadata: M };
    case 'progress':
      return { type: 'RecordReencryptionProgress', data: { orgId, reencryptionId: currentRun(i.run), done: i.a, failed: i.b, total: i.c }, metadata: M };
    case 'complete':
      return { type: 'CompleteReencryption', data: { orgId, reencryptionId: currentRun(i.run), rewrapped: i.a, failed: i.b }, metadata: M };
    case 'fail':
      return {
        type: 'FailReencryption',
        data: { orgId, reencryptionId: currentRun(i.run), reason: 'boom', rewrapped: i.a, failed: i.b, failuresByCode: { KMS_THROTTLED: i.b } },
        metadata: M,
      };
    case 'retry':
      return { type: 'RetryReencryption', data: { orgId, reencryptionId: newRun(i.run) }, metadata: M };
  }
}

function checkInvariants(state: KeyringState): void {
  const defaultKey = state.keys.find((key) => key.keyId === state.defaultKeyId);
  expect(state.defaultKeyId === PLATFORM_KEY_ID || defaultKey?.status === 'active').toBe(true);
  expect(isWrappingAllowed(state, state.defaultKeyId)).toBe(true);

  const running = Object.values(state.runs).filter((outcome) => outcome === 'running');
  expect(running.length).toBe(state.status === 'reencrypting' ? 1 : 0);

  const names = state.keys.map((key) => key.name.toLowerCase());
  expect(new Set(names).size).toBe(names.length);

  if (state.status === 'reencrypting') {
    expect(isWrappingAllowed(state, state.run.to)).toBe(true);
    for (const source of state.run.from) {
      if (source === PLATFORM_KEY_ID) continue;
      expect(state.keys.find((key) => key.keyId === source)?.status).toBe('disabling');
    }
  }
  // A CMK that is not active is never the default, so it never wraps a new data key.
  for (const key of state.keys) if (key.status !== 'active') expect(isWrappingAllowed(state, key.keyId)).toBe(false);
}

describe('key ring invariants (property)', () => {
  it('hold after any sequence of accepted commands', () => {
    fc.assert(
      fc.property(fc.array(intent, { minLength: 10, maxLength: 80 }), (intents) => {
        let state = keyringDecider.initialState();
        for (const [step, i] of intents.entries()) {
          const cmd = toCommand(i, state, step);
          let events;
          try {
            events = keyringDecider.decide(cmd, state);
          } catch (error) {
            if (error instanceof DomainError) continue; // refused: state unchanged
            throw error;
          }
          for (const event of events) {
            const stored = JSON.parse(JSON.stringify(encodeKeyringEvent(event)));
            expect(decodeKeyringEvent(stored)).toEqual(event);
            state = keyringDecider.evolve(state, event);
          }
          checkInvariants(state);
        }
      }),
      { numRuns: 400 },
    );
  });
});
