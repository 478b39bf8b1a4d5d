import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { activeToken, type AccessTokenEntry } from '@cmk/domain';
import type { ApiConfig } from '../config';
import { API_CONFIG } from '../tokens';
import { bearerToken, parseAccessToken, sameDigest, sha256Hex } from './access-token';
import { OrgDirectory } from './org-directory';

/** An org token that verified: its org and its (active) entry. */
export interface VerifiedToken {
  readonly orgId: string;
  readonly entry: AccessTokenEntry;
}

/**
 * Who a request's bearer token is, verified once per request: the rate limiter (which runs
 * first, to choose whose budget a request counts against) and the route's guard (which then
 * checks the org and the role) share the answer instead of hashing and looking it up twice.
 */
@Injectable()
export class Authenticator {
  private readonly users = new WeakMap<Request, Promise<VerifiedToken | undefined>>();
  private readonly operatorDigest: string;

  constructor(
    private readonly orgs: OrgDirectory,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.operatorDigest = sha256Hex(config.operatorToken);
  }

  /** The org token the request carries, when it is well-formed, known, active and its secret matches. */
  user(request: Request): Promise<VerifiedToken | undefined> {
    let verified = this.users.get(request);
    if (!verified) {
      verified = this.verifyUser(request.headers.authorization);
      this.users.set(request, verified);
    }
    return verified;
  }

  /** Whether the request carries `CMK_OPERATOR_TOKEN` (compared in constant time). */
  isOperator(request: Request): boolean {
    const token = bearerToken(request.headers.authorization);
    return token !== undefined && sameDigest(sha256Hex(token), this.operatorDigest);
  }

  private async verifyUser(header: string | undefined): Promise<VerifiedToken | undefined> {
    const token = bearerToken(header);
    const parsed = token ? parseAccessToken(token) : undefined;
    if (!token || !parsed) return undefined;
    const entry = activeToken(await this.orgs.get(parsed.orgId), parsed.tokenId);
    return entry && sameDigest(entry.sha256, sha256Hex(token)) ? { orgId: parsed.orgId, entry } : undefined;
  }
}
