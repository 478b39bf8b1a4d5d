import { assertNever } from '../shared/assert-never';
import type { Edition, OrgEvent, OrgRole } from './events';

export interface AccessTokenEntry {
  readonly tokenId: string;
  readonly user: string;
  readonly role: OrgRole;
  readonly sha256: string;
  readonly revoked: boolean;
  readonly issuedAt: string;
}

export type OrgState =
  | { readonly status: 'unregistered' }
  | {
      readonly status: 'registered';
      readonly orgId: string;
      readonly name: string;
      readonly edition: Edition;
      /** Every token ever issued, by id (revoked ones too, so a revoked id cannot be reused). */
      readonly tokens: Readonly<Record<string, AccessTokenEntry>>;
    };

export function initialState(): OrgState {
  return { status: 'unregistered' };
}

export function evolve(state: OrgState, event: OrgEvent): OrgState {
  switch (event.type) {
    case 'OrganizationRegistered': {
      const { orgId, name, edition } = event.data;
      return { status: 'registered', orgId, name, edition, tokens: {} };
    }
    case 'EditionChanged':
      return state.status === 'registered' ? { ...state, edition: event.data.to } : state;
    case 'AccessTokenIssued': {
      if (state.status !== 'registered') return state;
      const { tokenId, user, role, sha256 } = event.data;
      const entry: AccessTokenEntry = { tokenId, user, role, sha256, revoked: false, issuedAt: event.metadata.occurredAt };
      return { ...state, tokens: { ...state.tokens, [tokenId]: entry } };
    }
    case 'AccessTokenRevoked': {
      if (state.status !== 'registered') return state;
      const entry = tokenEntry(state, event.data.tokenId);
      if (!entry) return state;
      return { ...state, tokens: { ...state.tokens, [entry.tokenId]: { ...entry, revoked: true } } };
    }
    default:
      return assertNever(event, 'org event');
  }
}

/**
 * The token issued with `tokenId`, revoked or not. Own properties only: token ids reach here from
 * URLs, and `tokens['constructor']` or `tokens['__proto__']` would otherwise find
 * `Object.prototype` members and treat them as issued tokens.
 */
export function tokenEntry(state: OrgState, tokenId: string): AccessTokenEntry | undefined {
  if (state.status !== 'registered' || !Object.hasOwn(state.tokens, tokenId)) return undefined;
  return state.tokens[tokenId];
}

/** The token for an auth lookup, or `undefined` when unknown or revoked. */
export function activeToken(state: OrgState, tokenId: string): AccessTokenEntry | undefined {
  const entry = tokenEntry(state, tokenId);
  return entry && !entry.revoked ? entry : undefined;
}
