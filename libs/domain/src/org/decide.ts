import { assertNever } from '../shared/assert-never';
import type { Decider } from '../shared/decider';
import { refuse } from '../shared/domain-error';
import { validateOrgLogin } from '../shared/org-login';
import type { ChangeEdition, IssueAccessToken, OrgCommand, RegisterOrganization, RevokeAccessToken } from './commands';
import { EDITIONS, ORG_ROLES, type Edition, type OrgEvent } from './events';
import { evolve, initialState, tokenEntry, type OrgState } from './state';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const ORG_NAME_MAX_LENGTH = 100;

type Registered = Extract<OrgState, { status: 'registered' }>;

function requireRegistered(state: OrgState, orgId: string): Registered {
  if (state.status !== 'registered') throw refuse('ORG_NOT_FOUND', 'No such organisation', { orgId });
  if (state.orgId !== orgId) {
    throw refuse('VALIDATION_FAILED', 'The command is for another organisation', { field: 'orgId', expected: state.orgId, actual: orgId });
  }
  return state;
}

function checkEdition(edition: string): Edition {
  const match = EDITIONS.find((candidate) => candidate === edition);
  if (match === undefined) throw refuse('VALIDATION_FAILED', `Edition must be one of ${EDITIONS.join(', ')}`, { field: 'edition', edition });
  return match;
}

function register(command: RegisterOrganization, state: OrgState): OrgEvent[] {
  const { orgId, edition } = command.data;
  if (state.status === 'registered') throw refuse('ORG_EXISTS', 'The organisation is already registered', { orgId: state.orgId });
  validateOrgLogin(orgId);
  const name = command.data.name.trim();
  if (name.length < 1 || name.length > ORG_NAME_MAX_LENGTH) {
    throw refuse('VALIDATION_FAILED', `Organisation name must be 1-${ORG_NAME_MAX_LENGTH} characters`, { field: 'name' });
  }
  return [{ type: 'OrganizationRegistered', data: { orgId, name, edition: checkEdition(edition) }, metadata: command.metadata }];
}

/** Changing to the current edition is a no-op, so a billing sync can send it repeatedly. */
function changeEdition(command: ChangeEdition, state: OrgState): OrgEvent[] {
  const org = requireRegistered(state, command.data.orgId);
  const to = checkEdition(command.data.edition);
  if (to === org.edition) return [];
  return [{ type: 'EditionChanged', data: { orgId: org.orgId, from: org.edition, to }, metadata: command.metadata }];
}

function issueToken(command: IssueAccessToken, state: OrgState): OrgEvent[] {
  const { orgId, tokenId, user, role, sha256 } = command.data;
  const org = requireRegistered(state, orgId);
  if (tokenId.length === 0) throw refuse('VALIDATION_FAILED', 'A token id is required', { field: 'tokenId' });
  if (tokenEntry(org, tokenId)) throw refuse('TOKEN_EXISTS', 'A token with this id was already issued', { tokenId });
  if (user.trim().length === 0) throw refuse('VALIDATION_FAILED', 'A user is required', { field: 'user' });
  if (!ORG_ROLES.includes(role)) throw refuse('VALIDATION_FAILED', `Role must be one of ${ORG_ROLES.join(', ')}`, { field: 'role', role });
  if (!SHA256_HEX.test(sha256)) throw refuse('VALIDATION_FAILED', 'sha256 must be 64 lowercase hex characters', { field: 'sha256' });
  return [{ type: 'AccessTokenIssued', data: { orgId, tokenId, user: user.trim(), role, sha256 }, metadata: command.metadata }];
}

function revokeToken(command: RevokeAccessToken, state: OrgState): OrgEvent[] {
  const { orgId, tokenId } = command.data;
  const org = requireRegistered(state, orgId);
  const entry = tokenEntry(org, tokenId);
  if (!entry) throw refuse('TOKEN_NOT_FOUND', 'No such token', { tokenId });
  if (entry.revoked) throw refuse('TOKEN_REVOKED', 'The token is already revoked', { tokenId });
  return [{ type: 'AccessTokenRevoked', data: { orgId, tokenId }, metadata: command.metadata }];
}

export function decide(command: OrgCommand, state: OrgState): OrgEvent[] {
  switch (command.type) {
    case 'RegisterOrganization':
      return register(command, state);
    case 'ChangeEdition':
      return changeEdition(command, state);
    case 'IssueAccessToken':
      return issueToken(command, state);
    case 'RevokeAccessToken':
      return revokeToken(command, state);
    default:
      return assertNever(command, 'org command');
  }
}

export const orgDecider: Decider<OrgCommand, OrgEvent, OrgState> = { initialState, evolve, decide };
