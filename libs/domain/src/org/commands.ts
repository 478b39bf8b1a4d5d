import type { Message } from '../shared/metadata';
import type { Edition, OrgRole } from './events';

export type RegisterOrganization = Message<'RegisterOrganization', { orgId: string; name: string; edition: Edition }>;

export type ChangeEdition = Message<'ChangeEdition', { orgId: string; edition: Edition }>;

/** `sha256` is the lowercase hex digest of the token; the token itself never reaches the domain. */
export type IssueAccessToken = Message<
  'IssueAccessToken',
  { orgId: string; tokenId: string; user: string; role: OrgRole; sha256: string }
>;

export type RevokeAccessToken = Message<'RevokeAccessToken', { orgId: string; tokenId: string }>;

export type OrgCommand = RegisterOrganization | ChangeEdition | IssueAccessToken | RevokeAccessToken;
