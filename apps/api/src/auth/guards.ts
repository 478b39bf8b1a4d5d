import { CanActivate, Injectable, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { OrgRole } from '@cmk/domain';
import { ApplicationError } from '@cmk/application';
import { Authenticator } from './authenticator';
import type { AuthenticatedRequest } from './principal';

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
    private readonly auth: Authenticator,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const verified = await this.auth.user(request);
    if (!verified) throw unauthenticated();
    const { orgId, entry } = verified;
    const routeOrg = String(request.params['org'] ?? '');
    if (routeOrg !== orgId) throw new ApplicationError('ORG_NOT_FOUND', 404, `Organization ${routeOrg} not found`);
    const roles = this.reflector.getAllAndOverride<OrgRole[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]) ?? ['admin'];
    if (!roles.includes(entry.role)) {
      throw new ApplicationError('ROLE_REQUIRED', 403, `This action requires the ${roles.join(' or ')} role`, { required: roles, actual: entry.role });
    }
    request.principal = { kind: 'user', orgId, user: entry.user, role: entry.role, tokenId: entry.tokenId };
    return true;
  }
}

/** Operator routes: the bearer token must equal `CMK_OPERATOR_TOKEN` (compared in constant time). */
@Injectable()
export class OperatorGuard implements CanActivate {
  constructor(private readonly auth: Authenticator) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!this.auth.isOperator(request)) throw unauthenticated();
    request.principal = { kind: 'operator' };
    return true;
  }
}
