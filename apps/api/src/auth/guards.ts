import { CanActivate, Inject, Injectable, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { activeToken, type OrgRole, type OrgState } from '@cmk/domain';
import { ApplicationError } from '@cmk/application';
import type { ApiConfig } from '../config';
import { API_CONFIG } from '../tokens';
import { bearerToken, parseAccessToken, sameDigest, sha256Hex, tokenMatches, type ParsedToken } from './access-token';
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

  /** A route's roles never change: read once per handler instead of on every request. */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- keyed by the handler itself
  private readonly rolesByHandler = new WeakMap<Function, readonly OrgRole[]>();

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request.headers.authorization);
    const parsed = token ? parseAccessToken(token) : undefined;
    if (!token || !parsed) throw unauthenticated();
    // The org's state is cached for a second (OrgDirectory.TTL_MS): answer without a promise then.
    const cached = this.orgs.cached(parsed.orgId);
    if (cached) return this.admit(context, request, token, parsed, cached);
    return this.orgs.get(parsed.orgId).then((state) => this.admit(context, request, token, parsed, state));
  }

  private admit(context: ExecutionContext, request: AuthenticatedRequest, token: string, parsed: ParsedToken, state: OrgState): boolean {
    const entry = activeToken(state, parsed.tokenId);
    if (!entry || !tokenMatches(token, entry.sha256)) throw unauthenticated();
    const routeOrg = String(request.params['org'] ?? '');
    if (routeOrg !== parsed.orgId) throw new ApplicationError('ORG_NOT_FOUND', 404, `Organization ${routeOrg} not found`);
    const roles = this.rolesOf(context);
    if (!roles.includes(entry.role)) {
      throw new ApplicationError('ROLE_REQUIRED', 403, `This action requires the ${roles.join(' or ')} role`, { required: roles, actual: entry.role });
    }
    request.principal = { kind: 'user', orgId: parsed.orgId, user: entry.user, role: entry.role, tokenId: entry.tokenId };
    return true;
  }

  private rolesOf(context: ExecutionContext): readonly OrgRole[] {
    const handler = context.getHandler();
    let roles = this.rolesByHandler.get(handler);
    if (!roles) {
      roles = this.reflector.getAllAndOverride<OrgRole[] | undefined>(ROLES_KEY, [handler, context.getClass()]) ?? ['admin'];
      this.rolesByHandler.set(handler, roles);
    }
    return roles;
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
