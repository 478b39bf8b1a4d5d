import { specFor, meta } from '@cmk/domain/testing';
import { decodeOrgEvent, encodeOrgEvent } from './codec';
import type { OrgCommand } from './commands';
import { orgDecider } from './decide';
import type { OrgEvent } from './events';
import { activeToken } from './state';

const given = specFor(orgDecider);
const M = meta();
const SHA = 'a'.repeat(64);

const register = (orgId = 'acme', name = 'Acme', edition: 'enterprise' | 'free' = 'enterprise'): OrgCommand => ({
  type: 'RegisterOrganization',
  data: { orgId, name, edition },
  metadata: M,
});
const registered = (edition: 'enterprise' | 'free' = 'enterprise'): OrgEvent => ({
  type: 'OrganizationRegistered',
  data: { orgId: 'acme', name: 'Acme', edition },
  metadata: M,
});
const issue = (tokenId: string, overrides: Partial<{ user: string; role: 'admin' | 'member'; sha256: string }> = {}): OrgCommand => ({
  type: 'IssueAccessToken',
  data: { orgId: 'acme', tokenId, user: 'alice', role: 'admin', sha256: SHA, ...overrides },
  metadata: M,
});
const issued = (tokenId: string): OrgEvent => ({
  type: 'AccessTokenIssued',
  data: { orgId: 'acme', tokenId, user: 'alice', role: 'admin', sha256: SHA },
  metadata: M,
});
const revoke = (tokenId: string): OrgCommand => ({ type: 'RevokeAccessToken', data: { orgId: 'acme', tokenId }, metadata: M });
const revoked = (tokenId: string): OrgEvent => ({ type: 'AccessTokenRevoked', data: { orgId: 'acme', tokenId }, metadata: M });
const changeEdition = (edition: 'enterprise' | 'free' | 'business-critical'): OrgCommand => ({
  type: 'ChangeEdition',
  data: { orgId: 'acme', edition },
  metadata: M,
});

describe('RegisterOrganization', () => {
  it('registers a new organisation (name trimmed)', () => {
    given([]).when(register('acme', '  Acme ')).then([registered()]);
  });

  it('refuses a second registration', () => {
    given([registered()]).when(register()).thenRefuses('ORG_EXISTS');
  });

  it('refuses an org id that is not a lowercase login, and an empty name', () => {
    given([]).when(register('Acme')).thenRefuses('VALIDATION_FAILED', { field: 'orgId' });
    given([]).when(register('acme', '   ')).thenRefuses('VALIDATION_FAILED', { field: 'name' });
  });
});

describe('ChangeEdition', () => {
  it('changes the edition, and is a no-op for the current one', () => {
    given([registered('free')])
      .when(changeEdition('enterprise'))
      .then([{ type: 'EditionChanged', data: { orgId: 'acme', from: 'free', to: 'enterprise' }, metadata: M }]);
    given([registered()]).when(changeEdition('enterprise')).then([]);
  });

  it('refuses an unregistered org', () => {
    given([]).when(changeEdition('enterprise')).thenRefuses('ORG_NOT_FOUND');
  });
});

describe('access tokens', () => {
  it('issues a token and exposes it for auth lookups', () => {
    given([registered()]).when(issue('t1')).then([issued('t1')]);
    const { state } = given([registered(), issued('t1')]);
    expect(activeToken(state, 't1')).toMatchObject({ user: 'alice', role: 'admin', sha256: SHA, revoked: false });
  });

  it('refuses tokens for an unregistered org', () => {
    given([]).when(issue('t1')).thenRefuses('ORG_NOT_FOUND');
  });

  it('refuses a reused token id, a bad digest or an unknown role', () => {
    given([registered(), issued('t1')]).when(issue('t1')).thenRefuses('TOKEN_EXISTS');
    given([registered()]).when(issue('t1', { sha256: 'ABC' })).thenRefuses('VALIDATION_FAILED', { field: 'sha256' });
    const bad = issue('t1');
    if (bad.type !== 'IssueAccessToken') throw new Error('fixture');
    const role = JSON.parse('"owner"');
    given([registered()]).when({ ...bad, data: { ...bad.data, role } }).thenRefuses('VALIDATION_FAILED', { field: 'role' });
  });

  it('revokes a token; it then fails auth lookups', () => {
    given([registered(), issued('t1')]).when(revoke('t1')).then([revoked('t1')]);
    const { state } = given([registered(), issued('t1'), revoked('t1')]);
    expect(activeToken(state, 't1')).toBeUndefined();
    expect(state.status === 'registered' && state.tokens['t1']?.revoked).toBe(true);
  });

  it('refuses revoking an unknown or already revoked token', () => {
    given([registered()]).when(revoke('t1')).thenRefuses('TOKEN_NOT_FOUND');
    given([registered(), issued('t1'), revoked('t1')]).when(revoke('t1')).thenRefuses('TOKEN_REVOKED');
  });

  it('never mistakes Object.prototype members for tokens (ids come from URLs)', () => {
    for (const tokenId of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      given([registered(), issued('t1')]).when(revoke(tokenId)).thenRefuses('TOKEN_NOT_FOUND');
      given([registered()]).when(issue(tokenId)).then([issued(tokenId)]);
      const { state } = given([registered(), issued('t1'), revoked(tokenId)]);
      expect(activeToken(state, tokenId)).toBeUndefined();
      expect(state.status === 'registered' && Object.keys(state.tokens)).toEqual(['t1']);
    }
  });
});

describe('org codec', () => {
  it('round-trips and validates', () => {
    for (const event of [registered(), issued('t1'), revoked('t1')]) {
      expect(decodeOrgEvent(JSON.parse(JSON.stringify(encodeOrgEvent(event))))).toEqual(event);
    }
    expect(() => decodeOrgEvent({ type: 'OrganizationRegistered', data: { orgId: 'acme', name: 'A', edition: 'gold' }, metadata: M })).toThrow(
      expect.objectContaining({ code: 'EVENT_DECODING_FAILED', path: 'data.edition' }),
    );
  });
});
