import type { Message } from '../shared/metadata';

export const EDITIONS = ['free', 'team', 'enterprise', 'business-critical'] as const;
export type Edition = (typeof EDITIONS)[number];

/** Editions that may use customer managed keys. */
export const CMK_EDITIONS: readonly Edition[] = ['enterprise', 'business-critical'];

/** `auditor` reads (audit feed, key list, history, runs, data-key summary) and changes nothing. */
export const ORG_ROLES = ['admin', 'member', 'auditor'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

export type OrganizationRegistered = Message<'OrganizationRegistered', { orgId: string; name: string; edition: Edition }>;

export type EditionChanged = Message<'EditionChanged', { orgId: string; from: Edition; to: Edition }>;

/** Only the SHA-256 of the token is ever stored; the token itself is shown once. */
export type AccessTokenIssued = Message<
  'AccessTokenIssued',
  { orgId: string; tokenId: string; user: string; role: OrgRole; sha256: string }
>;

export type AccessTokenRevoked = Message<'AccessTokenRevoked', { orgId: string; tokenId: string }>;

export type OrgEvent = OrganizationRegistered | EditionChanged | AccessTokenIssued | AccessTokenRevoked;
