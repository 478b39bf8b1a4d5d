import { assertNever } from '../shared/assert-never';
import type { DataKeyEvent } from './events';

/** A data key's state: none, or issued and wrapped by exactly one key (the platform key or a CMK). */
export interface Wrapping {
  /** `platform` or a CMK id. */
  readonly wrappedBy: string;
  readonly kekRef: string;
  readonly wrapped: string;
}

export type DataKeyState =
  | { readonly status: 'none' }
  | (Wrapping & {
      readonly status: 'issued';
      readonly orgId: string;
      readonly dataKeyId: string;
      readonly scope: string;
      readonly issuedAt: string;
      /** Generation within (org, scope): 0 for the first data key of a scope. */
      readonly generation: number;
      /** Uses (encryptions) reserved so far: never below the encryptions made under this key. */
      readonly reservedUses: number;
      /** Runs that rewrapped this data key, oldest first (audit and idempotency checks). */
      readonly rewrappedBy: readonly string[];
    });

export function initialState(): DataKeyState {
  return { status: 'none' };
}

export function evolve(state: DataKeyState, event: DataKeyEvent): DataKeyState {
  switch (event.type) {
    case 'DataKeyIssued': {
      const { orgId, dataKeyId, scope, wrappedBy, kekRef, wrapped, generation = 0 } = event.data;
      return {
        status: 'issued',
        orgId,
        dataKeyId,
        scope,
        wrappedBy,
        kekRef,
        wrapped,
        issuedAt: event.metadata.occurredAt,
        generation,
        reservedUses: 0,
        rewrappedBy: [],
      };
    }
    case 'DataKeyRewrapped': {
      if (state.status !== 'issued') return state;
      const { to, kekRef, wrapped, reencryptionId } = event.data;
      return { ...state, wrappedBy: to, kekRef, wrapped, rewrappedBy: [...state.rewrappedBy, reencryptionId] };
    }
    case 'DataKeyUseReserved':
      if (state.status !== 'issued') return state;
      return { ...state, reservedUses: Math.max(state.reservedUses, event.data.upTo) };
    default:
      return assertNever(event, 'data key event');
  }
}

/** How the data key is wrapped now, or `undefined` before it is issued. */
export function currentWrapping(state: DataKeyState): Wrapping | undefined {
  if (state.status !== 'issued') return undefined;
  const { wrappedBy, kekRef, wrapped } = state;
  return { wrappedBy, kekRef, wrapped };
}
