import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { activeToken, type AccessTokenEntry } from '@cmk/domain';
import type { ApiConfig } from '../config';
import { API_CONFIG } from '../tokens';
import { bearerToken, parseAccessToken, sameDigest, sha256Hex, tokenMatches } from './access-token';
import { OrgDirectory } from './org-directory';

/** An org token that verified: its org and its (active) entry. */
export interface VerifiedToken {
  readonly orgId: string;
  readonly entry: AccessTokenEntry;
}

/**
 * Who a request's bearer token is, verified once per request: the rate limiter (which runs
 * first, to choose whose budget a request counts against) verifies it, and the route's guard
 * (which then checks the org and the role) reads the answer (`known`) instead of hashing and
 * looking it up again.
 */
@Injectable()
export class Authenticator {
  /** A request's verified token, or `false` when its credential did not verify. */
  private readonly results = new WeakMap<Request, VerifiedToken | false>();
  private readonly operatorDigest: string;

  constructor(
    private readonly orgs: OrgDirectory,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.operatorDigest = sha256Hex(config.operatorToken);
  }

  /** The answer of an earlier `user(request)`, without any work; `undefined` when none was asked. */
  known(request: Request): VerifiedToken | false | undefined {
    return this.results.get(request);
  }

  /** The org token the request carries, when it is well-formed, known, active and its secret matches. */
  async user(request: Request): Promise<VerifiedToken | undefined> {
    const known = this.results.get(request);
    if (known !== undefined) return known || undefined;
    const verified = await this.verify(request.headers.authorization);
    this.results.set(request, verified ?? false);
    return verified;
  }

  /** Whether the request carries `CMK_OPERATOR_TOKEN` (compared in constant time). */
  isOperator(request: Request): boolean {
    const token = bearerToken(request.headers.authorization);
    return token !== undefined && sameDigest(sha256Hex(token), this.operatorDigest);
  }

  private async verify(header: string | undefined): Promise<VerifiedToken | undefined> {
    const token = bearerToken(header);
    const parsed = token ? parseAccessToken(token) : undefined;
    if (!token || !parsed) return undefined;
    const state = this.orgs.cached(parsed.orgId) ?? (await this.orgs.get(parsed.orgId));
    const entry = activeToken(state, parsed.tokenId);
    return entry && tokenMatches(token, entry.sha256) ? { orgId: parsed.orgId, entry } : undefined;
  }
}
