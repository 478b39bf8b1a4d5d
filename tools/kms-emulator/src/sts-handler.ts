import type { CredentialStore } from './credentials';
import { StsError } from './errors';
import type { JwksCache } from './jwks-cache';
import type { RoleRegistry } from './roles';
import { assumeRoleWithWebIdentityXml } from './sts-xml';
import { validateWebIdentity } from './web-identity';

export interface StsContext {
  readonly accountId: string;
  readonly roles: RoleRegistry;
  readonly credentials: CredentialStore;
  readonly jwks: JwksCache;
  readonly now: () => number;
}

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

/** The STS action named in a form body, for routing and stats. */
export function stsAction(form: URLSearchParams): string {
  return form.get('Action') ?? 'Unknown';
}

/** Handles an AWS Query (form-encoded) STS request; answers the success XML or throws StsError. */
export async function handleSts(form: URLSearchParams, requestId: string, ctx: StsContext): Promise<string> {
  const action = stsAction(form);
  if (action !== 'AssumeRoleWithWebIdentity') throw new StsError('InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
  const roleArn = required(form, 'RoleArn');
  const sessionName = required(form, 'RoleSessionName');
  const token = required(form, 'WebIdentityToken');
  if (!SESSION_NAME.test(sessionName)) {
    throw new StsError('ValidationError', `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
  }
  const duration = durationSeconds(form.get('DurationSeconds'));
  const identity = await validateWebIdentity(token, roleArn, ctx.roles, ctx.jwks, ctx.now());
  const role = ctx.roles.get(roleArn);
  if (!role) throw new StsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
  const issued = ctx.credentials.issue(role, sessionName, duration, ctx.accountId);
  return assumeRoleWithWebIdentityXml(issued, identity, requestId);
}

function required(form: URLSearchParams, name: string): string {
  const value = form.get(name);
  if (value === null || value.length === 0) throw new StsError('MissingParameter', `The request must contain the parameter ${name}`);
  return value;
}

function durationSeconds(raw: string | null): number {
  if (raw === null || raw === '') return 3600;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 900 || value > 43_200) {
    throw new StsError(
      'ValidationError',
      `1 validation error detected: Value '${raw}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`,
    );
  }
  return value;
}
