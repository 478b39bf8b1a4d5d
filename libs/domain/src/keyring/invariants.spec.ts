import fc from 'fast-check';
import { DomainError } from '../shared/domain-error';
import { meta } from '../testing/given-when-then';
import { keyArnOf, ORG, roleArn } from '../testing/keyring-fixtures';
import { decodeKeyringEvent, encodeKeyringEvent } from './codec';
import type { KeyringCommand } from './commands';
import { PLATFORM_KEY_ID } from './events';
import { isWrappingAllowed, keyringDecider } from './queries';
import type { KeyringState } from './state';

/**
 * Property: whatever sequence of commands admins and workers send, the accepted ones keep the
 * key ring's invariants, and every event emitted survives the event store round trip.
 */
const M = meta();
const keyId = fc.constantFrom('k1', 'k2', 'k3', 'k4');
const target = fc.constantFrom('k1', 'k2', 'k3', 'k4', PLATFORM_KEY_ID);
const runId = fc.constantFrom('r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8');
const name = fc.constantFrom('Prod', 'prod ', 'Staging', 'DR', 'dr', 'Backup');
const count = fc.nat({ max: 50 });

const command: fc.Arbitrary<KeyringCommand> = fc.oneof(
  fc.record({ keyId, name, reencryptionId: runId }).map(
    (d): KeyringCommand => ({
      type: 'AddKey',
      data: { orgId: ORG, ...d, roleArn, keyArn: keyArnOf(d.keyId), resolvedKeyArn: keyArnOf(d.keyId), edition: 'enterprise' },
      metadata: M,
    }),
  ),
  keyId.map((k): KeyringCommand => ({ type: 'SetDefaultKey', data: { orgId: ORG, keyId: k }, metadata: M })),
  fc.record({ keyId, destinationKeyId: target, reencryptionId: runId }).map(
    (d): KeyringCommand => ({ type: 'DisableKey', data: { orgId: ORG, ...d }, metadata: M }),
  ),
  runId.map((r): KeyringCommand => ({ type: 'DisableAllKeys', data: { orgId: ORG, reencryptionId: r }, metadata: M })),
  fc.record({ reencryptionId: runId, done: count, failed: count, total: count }).map(
    (d): KeyringCommand => ({ type: 'RecordReencryptionProgress', data: { orgId: ORG, ...d }, metadata: M }),
  ),
  fc.record({ reencryptionId: runId, rewrapped: count, failed: count }).map(
    (d): KeyringCommand => ({ type: 'CompleteReencryption', data: { orgId: ORG, ...d }, metadata: M }),
  ),
  fc.record({ reencryptionId: runId, rewrapped: count, failed: count }).map(
    (d): KeyringCommand => ({
      type: 'FailReencryption',
      data: { orgId: ORG, ...d, reason: 'boom', failuresByCode: { KMS_THROTTLED: d.failed } },
      metadata: M,
    }),
  ),
  runId.map((r): KeyringCommand => ({ type: 'RetryReencryption', data: { orgId: ORG, reencryptionId: r }, metadata: M })),
);

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
      fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
        let state = keyringDecider.initialState();
        for (const cmd of commands) {
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
      { numRuns: 500 },
    );
  });
});
