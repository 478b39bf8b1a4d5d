import { refuse } from './domain-error';

/** Organisation ids are lowercase logins: they appear in stream names and OIDC subjects. */
export const ORG_LOGIN_PATTERN = /^[a-z0-9][a-z0-9-]{0,38}$/;

export function isOrgLogin(value: string): boolean {
  return ORG_LOGIN_PATTERN.test(value);
}

/** Throws `DomainError(VALIDATION_FAILED)` unless `orgId` is a valid lowercase login. */
export function validateOrgLogin(orgId: string): string {
  if (!isOrgLogin(orgId)) {
    throw refuse('VALIDATION_FAILED', 'Organisation id must be a lowercase login (a-z, 0-9, -; at most 39 chars)', {
      field: 'orgId',
      value: orgId,
    });
  }
  return orgId;
}
