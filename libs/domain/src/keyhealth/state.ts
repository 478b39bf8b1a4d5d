import { assertNever } from '../shared/assert-never';
import type { DeclaredHealth, KeyHealthEvent } from './events';

/** The declared health of each key of one org (stream `keyhealth-<orgId>`). */
export interface KeyHealthState {
  readonly keys: Readonly<Record<string, { readonly state: DeclaredHealth; readonly since: string }>>;
}

export function initialState(): KeyHealthState {
  return { keys: {} };
}

export function evolve(state: KeyHealthState, event: KeyHealthEvent): KeyHealthState {
  switch (event.type) {
    case 'KeyHealthChanged':
      return { keys: { ...state.keys, [event.data.keyId]: { state: event.data.to, since: event.data.since } } };
    default:
      return assertNever(event.type);
  }
}
