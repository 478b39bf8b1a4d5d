import { randomBytes } from 'node:crypto';
import { KmsError } from './errors';
import type { AdminCredentials } from './options';
import type { Role } from './roles';

export type Principal =
  | { readonly kind: 'admin'; readonly arn: string }
  | { readonly kind: 'role'; readonly roleArn: string; readonly arn: string };

export interface IssuedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiresAt: number;
  readonly assumedRoleArn: string;
  readonly assumedRoleId: string;
}

interface Session {
  readonly sessionToken: string;
  readonly expiresAt: number;
  readonly principal: Principal;
}

/** Sessions are pruned of expired entries once the map grows past this size. */
const PRUNE_THRESHOLD = 10_000;

/**
 * Maps the access key id of a request to who is calling. Signatures are not verified: the
 * emulator trusts the key id (and, for session credentials, the session token) it is shown.
 */
export class CredentialStore {
  private readonly sessions = new Map<string, Session>();
  private readonly admin: Principal;

  constructor(
    private readonly adminCredentials: AdminCredentials,
    accountId: string,
    private readonly now: () => number,
  ) {
    this.admin = { kind: 'admin', arn: `arn:aws:iam::${accountId}:user/kms-emulator-admin` };
  }

  issue(role: Role, sessionName: string, durationSeconds: number, accountId: string): IssuedCredentials {
    const accessKeyId = `ASIA${alphanumeric(16)}`;
    const sessionToken = randomBytes(96).toString('base64');
    const expiresAt = this.now() + durationSeconds * 1000;
    const assumedRoleArn = `arn:aws:sts::${accountId}:assumed-role/${role.roleName}/${sessionName}`;
    if (this.sessions.size >= PRUNE_THRESHOLD) this.pruneExpired();
    this.sessions.set(accessKeyId, { sessionToken, expiresAt, principal: { kind: 'role', roleArn: role.roleArn, arn: assumedRoleArn } });
    return {
      accessKeyId,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken,
      expiresAt,
      assumedRoleArn,
      assumedRoleId: `${role.roleId}:${sessionName}`,
    };
  }

  authenticate(accessKeyId: string | undefined, sessionToken: string | undefined): Principal {
    if (accessKeyId !== undefined && accessKeyId === this.adminCredentials.accessKeyId) return this.admin;
    const session = accessKeyId === undefined ? undefined : this.sessions.get(accessKeyId);
    if (!session || session.sessionToken !== sessionToken) {
      throw new KmsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
    }
    if (this.now() >= session.expiresAt) {
      throw new KmsError('ExpiredTokenException', 'The security token included in the request is expired');
    }
    return session.principal;
  }

  private pruneExpired(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(id);
  }
}

/**
 * The access key id from a SigV4 `Authorization` header
 * (`AWS4-HMAC-SHA256 Credential=<id>/<date>/<region>/<service>/aws4_request, ...`).
 */
export function accessKeyIdFrom(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const start = authorization.indexOf('Credential=');
  if (start < 0) return undefined;
  const from = start + 'Credential='.length;
  const end = authorization.indexOf('/', from);
  return end < 0 ? undefined : authorization.slice(from, end);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function alphanumeric(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte & 31];
  return out;
}
