import { randomBytes } from 'node:crypto';
import { ControlError } from './errors';

/** Who may assume a role: the OIDC issuer, the token audience and the subject (`*`, `?` wildcards). */
export interface TrustPolicy {
  readonly issuer: string;
  readonly audience: string;
  readonly subject: string;
}

/** One allow statement: actions such as `kms:Encrypt` (or `kms:*`) on a key ARN (or `*`). */
export interface PolicyStatement {
  readonly keyArn: string;
  readonly actions: readonly string[];
}

export interface RoleDefinition {
  readonly roleArn: string;
  readonly trust: TrustPolicy;
  readonly allow: readonly PolicyStatement[];
}

export interface Role extends RoleDefinition {
  readonly roleName: string;
  /** Unique id AWS shows as `AROA...` in AssumedRoleId. */
  readonly roleId: string;
  readonly subjectPattern: RegExp;
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

/** Roles by ARN. Registering an existing ARN replaces its trust and policy (like editing IAM). */
export class RoleRegistry {
  private readonly roles = new Map<string, Role>();

  put(definition: RoleDefinition): Role {
    const role = toRole(definition, this.roles.get(definition.roleArn)?.roleId);
    this.roles.set(role.roleArn, role);
    return role;
  }

  get(roleArn: string): Role | undefined {
    return this.roles.get(roleArn);
  }

  /**
   * Audiences registered for an issuer across all roles: our stand-in for an IAM OIDC provider
   * and its client id list. Undefined when no role trusts the issuer (no provider in the account).
   */
  audiencesOf(issuer: string): ReadonlySet<string> | undefined {
    const wanted = normalizeIssuer(issuer);
    let found: Set<string> | undefined;
    for (const role of this.roles.values()) {
      if (normalizeIssuer(role.trust.issuer) !== wanted) continue;
      found ??= new Set();
      found.add(role.trust.audience);
    }
    return found;
  }
}

export function isAllowed(role: Role, action: string, keyArn: string): boolean {
  return role.allow.some(
    (statement) => (statement.keyArn === '*' || statement.keyArn === keyArn) && (statement.actions.includes(action) || statement.actions.includes('kms:*')),
  );
}

export function normalizeIssuer(issuer: string): string {
  return issuer.endsWith('/') ? issuer.slice(0, -1) : issuer;
}

function toRole(definition: RoleDefinition, existingId: string | undefined): Role {
  const match = ROLE_ARN.exec(typeof definition.roleArn === 'string' ? definition.roleArn : '');
  if (!match) throw new ControlError('INVALID_ROLE_ARN', `roleArn must look like arn:aws:iam::<account>:role/<name>`);
  const trust = definition.trust;
  if (!trust || typeof trust.issuer !== 'string' || typeof trust.audience !== 'string' || typeof trust.subject !== 'string') {
    throw new ControlError('INVALID_TRUST', 'trust needs string issuer, audience and subject');
  }
  if (!Array.isArray(definition.allow) || !definition.allow.every(isStatement)) {
    throw new ControlError('INVALID_POLICY', 'allow must be a list of {keyArn: string, actions: string[]}');
  }
  return {
    roleArn: definition.roleArn,
    trust: { issuer: trust.issuer, audience: trust.audience, subject: trust.subject },
    allow: definition.allow.map((s) => ({ keyArn: s.keyArn, actions: [...s.actions] })),
    roleName: match[2],
    roleId: existingId ?? `AROA${randomBytes(12).toString('hex').toUpperCase().slice(0, 17)}`,
    subjectPattern: wildcardPattern(trust.subject),
  };
}

function isStatement(value: unknown): value is PolicyStatement {
  if (typeof value !== 'object' || value === null) return false;
  const { keyArn, actions } = value as Record<string, unknown>;
  return typeof keyArn === 'string' && Array.isArray(actions) && actions.every((a) => typeof a === 'string');
}

/** IAM StringLike semantics: `*` matches any run of characters, `?` exactly one. */
function wildcardPattern(pattern: string): RegExp {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's');
}
