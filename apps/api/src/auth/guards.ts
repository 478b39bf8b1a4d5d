import { CanActivate, Inject, Injectable, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { activeToken, type OrgRole } from '@cmk/domain';
import { ApplicationError } from '@cmk/application';
import type { ApiConfig } from '../config';
import { API_CONFIG } from '../tokens';
import { bearerToken, parseAccessToken, sameDigest, sha256Hex } from './access-token';
import type { AuthenticatedRequest } from './principal';
import { OrgDirectory } from './org-directory';

const ROLES_KEY = 'cmk:roles';

/** Roles allowed on an org route (`admin` implies everything a `member` may do). */
export const Roles = (...roles: OrgRole[]) => SetMetadata(ROLES_KEY, roles);

const unauthenticated = () => new ApplicationError('UNAUTHENTICATED', 401, 'A valid bearer token is required');

/**
 * Org routes (`/api/orgs/:org/...`): the token must belong to `:org` (any other org answers 404,
 * exactly like an org that does not exist, so tokens cannot probe for org names) and carry one
 * of the route's roles (403 otherwise).
 */
@Injectable()
export class OrgAccessGuard implements CanActivate {
  constructor(
    private readonly orgs: OrgDirectory,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request.headers.authorization);
    const parsed = token ? parseAccessToken(token) : undefined;
    if (!token || !parsed) throw unauthenticated();
    const state = await this.orgs.get(parsed.orgId);
    const entry = activeToken(state, parsed.tokenId);
    if (!entry || !sameDigest(entry.sha256, sha256Hex(token))) throw unauthenticated();
    const routeOrg = String(request.params['org'] ?? '');
    if (routeOrg !== parsed.orgId) throw new ApplicationError('ORG_NOT_FOUND', 404, `Organization ${routeOrg} not found`);
    const roles = this.reflector.getAllAndOverride<OrgRole[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]) ?? ['admin'];
    if (!roles.includes(entry.role)) {
      throw new ApplicationError('ROLE_REQUIRED', 403, `This action requires the ${roles.join(' or ')} role`, { required: roles, actual: entry.role });
    }
    request.principal = { kind: 'user', orgId: parsed.orgId, user: entry.user, role: entry.role, tokenId: entry.tokenId };
    return true;
  }
}

/** Operator routes: the bearer token must equal `CMK_OPERATOR_TOKEN` (compared in constant time). */
@Injectable()
export class OperatorGuard implements CanActivate {
  private readonly expected: string;

  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    this.expected = sha256Hex(config.operatorToken);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request.headers.authorization);
    if (!token || !sameDigest(sha256Hex(token), this.expected)) throw unauthenticated();
    request.principal = { kind: 'operator' };
    return true;
  }
}
