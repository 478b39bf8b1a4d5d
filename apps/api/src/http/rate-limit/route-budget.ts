import { SetMetadata } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants';
import { OperatorGuard, OrgAccessGuard } from '../../auth/guards';

/** What kind of route a handler is, for the rate limiter. */
export type RouteKind = 'secrets' | 'org' | 'operator' | 'public';

const ROUTE_KIND_KEY = 'cmk:rate-route-kind';

/**
 * Names a controller's (or handler's) budget where its guard does not tell: `secrets` for the
 * secrets routes (their own budget), `operator` for operator routes that check their credential
 * themselves (`/metrics`).
 */
export const RateLimitedAs = (kind: 'secrets' | 'operator') => SetMetadata(ROUTE_KIND_KEY, kind);

type Target = object;

const guardsOf = (target: Target): unknown[] => (Reflect.getMetadata(GUARDS_METADATA, target) as unknown[] | undefined) ?? [];

/**
 * The route's kind, from `@RateLimitedAs` or else from its guards: `OperatorGuard` makes an
 * operator route, `OrgAccessGuard` an org route; a route with neither is public. Derived from
 * the guards so that a new route cannot be forgotten: it counts like its siblings.
 */
export function routeKindOf(handler: Target, controller: Target): RouteKind {
  const named = (Reflect.getMetadata(ROUTE_KIND_KEY, handler) ?? Reflect.getMetadata(ROUTE_KIND_KEY, controller)) as RouteKind | undefined;
  if (named) return named;
  const guards = [...guardsOf(controller), ...guardsOf(handler)];
  if (guards.includes(OperatorGuard)) return 'operator';
  if (guards.includes(OrgAccessGuard)) return 'org';
  return 'public';
}
