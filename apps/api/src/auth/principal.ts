import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { OrgRole } from '@cmk/domain';

/** Who is calling: an org user (through an access token) or the operator. */
export type Principal =
  | { readonly kind: 'user'; readonly orgId: string; readonly user: string; readonly role: OrgRole; readonly tokenId: string }
  | { readonly kind: 'operator' };

export interface AuthenticatedRequest extends Request {
  principal?: Principal;
}

export function actorOf(principal: Principal | undefined): string {
  if (!principal) return 'anonymous';
  return principal.kind === 'operator' ? 'operator' : `user:${principal.user}`;
}

/** Injects the principal the guard attached to the request. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal | undefined => {
  return context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
});
