import type { Decider } from '../shared/decider';
import { assertNever } from '../shared/assert-never';
import type { KeyHealthCommand } from './commands';
import { UNKNOWN_HEALTH, type KeyHealthEvent } from './events';
import { evolve, initialState, type KeyHealthState } from './state';

/**
 * A change is an event, a probe is not: recording the state a key already has appends nothing,
 * so N workers (or a retried job) recording the same outcome produce one `KeyHealthChanged`.
 */
export function decide(command: KeyHealthCommand, state: KeyHealthState): KeyHealthEvent[] {
  switch (command.type) {
    case 'RecordKeyHealth': {
      const { orgId, keyId, state: to, reason, code, since } = command.data;
      const from = Object.hasOwn(state.keys, keyId) ? state.keys[keyId].state : UNKNOWN_HEALTH;
      if (from === to) return [];
      return [{ type: 'KeyHealthChanged', data: { orgId, keyId, from, to, reason, ...(code === undefined ? {} : { code }), since }, metadata: command.metadata }];
    }
    default:
      return assertNever(command.type);
  }
}

export const keyHealthDecider: Decider<KeyHealthCommand, KeyHealthEvent, KeyHealthState> = { initialState, evolve, decide };
