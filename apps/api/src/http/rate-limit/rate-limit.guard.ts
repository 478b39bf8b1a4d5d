import { Inject, Injectable, type ExecutionContext, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerOptions, InjectThrottlerStorage, normalizeIp, ThrottlerGuard, type ThrottlerLimitDetail, type ThrottlerModuleOptions, type ThrottlerStorage } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { ApplicationError } from '@cmk/application';
import { bearerToken, sameDigest, sha256Hex } from '../../auth/access-token';
import { Authenticator } from '../../auth/authenticator';
import type { ApiConfig } from '../../config';
import type { ApiMetrics } from '../../ops/api-metrics';
import { API_CONFIG, API_METRICS } from '../../tokens';
import type { RateBudget } from './rate-limit-settings';
import { routeKindOf, type RouteKind } from './route-budget';

/** Whose budget a request counts against, decided once per request before the throttler runs. */
export interface RateDecision {
  readonly budget: RateBudget;
  /** `token:<tokenId>`, `operator`, `metrics` or `ip:<address>` (IPv6 by /64). */
  readonly tracker: string;
}

const DECISION = Symbol('cmk:rate-decision');
type DecidedRequest = Request & { [DECISION]?: RateDecision };

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `@nestjs/throttler`'s metadata keys (`throttler.constants`, not exported), suffixed by the throttler's name. */
const ROUTE_OVERRIDES = ['THROTTLER:LIMIT', 'THROTTLER:TTL', 'THROTTLER:BLOCK_DURATION', 'THROTTLER:TRACKER', 'THROTTLER:KEY_GENERATOR'];
const ROUTE_SKIP = 'THROTTLER:SKIP';

/** What a route's decorators ask of the throttler: nothing special, `@SkipThrottle`, or settings of its own (`@Throttle`). */
type RouteThrottling = 'count' | 'skip' | 'own settings';

/** The one throttler the api configures, when `RateLimitGuard.canActivate` can count it directly. */
interface PlainThrottler {
  readonly name: string;
  readonly limit: number | ((context: ExecutionContext) => number | Promise<number>);
  readonly ttl: number;
  readonly blockDuration: number;
}

/** The decision the guard attached to the request (the throttler's `limit` resolver reads it). */
export function rateDecisionOf(context: ExecutionContext): RateDecision {
  return context.switchToHttp().getRequest<DecidedRequest>()[DECISION] ?? { budget: 'anonymous', tracker: 'ip:unknown' };
}

/**
 * `@nestjs/throttler`'s guard, global, with one budget per request: an org route counts against
 * the token's `secrets`, `reads` or `commands` budget, an operator route against the operator's
 * (the metrics token apart), and everything else — public routes, and any request whose
 * credential does not verify — against its client address. One storage call per request.
 * Refusals are 429 `RATE_LIMITED` with `Retry-After` (seconds) in the API's error shape.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly kinds = new WeakMap<object, RouteKind>();
  private readonly metricsDigest: string | undefined;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly auth: Authenticator,
    @Inject(API_CONFIG) config: ApiConfig,
    @Inject(API_METRICS) private readonly metrics: ApiMetrics,
  ) {
    super(options, storage, reflector);
    this.metricsDigest = config.metricsToken ? sha256Hex(config.metricsToken) : undefined;
  }

  /**
   * What `ThrottlerGuard.canActivate` does with the api's configuration (one throttler, fixed
   * window and block, a limit per budget, no headers of its own, no `skipIf` or user-agent
   * list), in one async step instead of about ten: decide the budget, honour `@SkipThrottle`,
   * count, refuse past the limit. Same order, same storage call and key, same refusal; only the
   * promises in between are gone (each costs about a microsecond with the request log's async
   * context on). Any other configuration, and a route with its own `@Throttle` settings, goes
   * to the library's `canActivate` as before.
   */
  override canActivate(context: ExecutionContext): Promise<boolean> {
    this.plain ??= this.plainThrottler() ?? null;
    if (this.plain === null || context.getType() !== 'http') return super.canActivate(context);
    const route = this.routeThrottling(context.getHandler(), context.getClass(), this.plain.name);
    if (route === 'own settings') return super.canActivate(context);
    return this.count(context, this.plain, route === 'skip');
  }

  private plain: PlainThrottler | null | undefined;
  /** Per handler and class: what its decorators say to the throttler (read once: metadata does not change). */
  private readonly routes = new WeakMap<object, WeakMap<object, RouteThrottling>>();

  private routeThrottling(handler: object, classRef: object, name: string): RouteThrottling {
    let byClass = this.routes.get(handler);
    if (!byClass) this.routes.set(handler, (byClass = new WeakMap()));
    let route = byClass.get(classRef);
    if (route === undefined) {
      const targets = [handler, classRef] as Type<unknown>[];
      if (ROUTE_OVERRIDES.some((key) => this.reflector.getAllAndOverride(key + name, targets) !== undefined)) route = 'own settings';
      else route = this.reflector.getAllAndOverride<boolean | undefined>(ROUTE_SKIP + name, targets) ? 'skip' : 'count';
      byClass.set(classRef, route);
    }
    return route;
  }

  /** The api's one throttler, if the configuration is the plain one `canActivate` handles itself. */
  private plainThrottler(): PlainThrottler | undefined {
    if (this.throttlers.length !== 1) return undefined;
    const [throttler] = this.throttlers;
    const common = this.commonOptions;
    const setHeaders = throttler.setHeaders ?? common.setHeaders ?? true;
    if (setHeaders || throttler.skipIf || common.skipIf || throttler.ignoreUserAgents || common.ignoreUserAgents || throttler.getTracker || throttler.generateKey) return undefined;
    const { name = 'default', limit, ttl, blockDuration } = throttler;
    if (typeof ttl !== 'number' || (blockDuration !== undefined && typeof blockDuration !== 'number') || (typeof limit !== 'number' && typeof limit !== 'function')) return undefined;
    return { name, limit, ttl, blockDuration: blockDuration ?? ttl };
  }

  private async count(context: ExecutionContext, throttler: PlainThrottler, skip: boolean): Promise<boolean> {
    const request = context.switchToHttp().getRequest<DecidedRequest>();
    const decision = await this.decide(context, request);
    request[DECISION] = decision;
    if (skip) return true;
    const resolved = typeof throttler.limit === 'function' ? throttler.limit(context) : throttler.limit;
    const limit = asNumber(typeof resolved === 'number' ? resolved : await resolved, throttler.name);
    const key = this.generateKey(context, decision.tracker);
    const { totalHits, timeToExpire, isBlocked, timeToBlockExpire } = await this.storageService.increment(key, throttler.ttl, limit, throttler.blockDuration, throttler.name);
    if (isBlocked) {
      await this.throwThrottlingException(context, { limit, ttl: throttler.ttl, key, tracker: decision.tracker, totalHits, timeToExpire, isBlocked, timeToBlockExpire });
    }
    return true;
  }

  /** Runs first in `canActivate`: decides the budget and the tracker (async: verifying a token may read the org). */
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<DecidedRequest>();
    request[DECISION] = await this.decide(context, request);
    return false;
  }

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    return (request as unknown as DecidedRequest)[DECISION]?.tracker ?? 'ip:unknown';
  }

  protected override generateKey(context: ExecutionContext, tracker: string): string {
    return `${rateDecisionOf(context).budget}:${tracker}`;
  }

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const { budget } = rateDecisionOf(context);
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(retryAfter));
    this.metrics.rateLimited(budget);
    throw new ApplicationError('RATE_LIMITED', 429, `Too many requests: the ${budget} budget allows ${detail.limit} per ${Math.round(detail.ttl / 1000)} s; retry after ${retryAfter} s`, {
      budget,
      limit: detail.limit,
      windowSeconds: Math.round(detail.ttl / 1000),
      retryAfterSeconds: retryAfter,
    });
  }

  private async decide(context: ExecutionContext, request: Request): Promise<RateDecision> {
    const kind = this.kindOf(context);
    if (kind === 'operator') {
      if (this.auth.isOperator(request)) return { budget: 'operator', tracker: 'operator' };
      if (this.metricsDigest && this.isMetricsToken(request)) return { budget: 'operator', tracker: 'metrics' };
    } else if (kind !== 'public') {
      const verified = await this.auth.user(request);
      if (verified) {
        const budget: RateBudget = kind === 'secrets' ? 'secrets' : READ_METHODS.has(request.method) ? 'reads' : 'commands';
        return { budget, tracker: `token:${verified.entry.tokenId}` };
      }
    }
    // `request.ip` follows CMK_TRUST_PROXY; IPv6 clients are counted by /64 (one host's range).
    return { budget: 'anonymous', tracker: `ip:${normalizeIp(request.ip ?? request.socket.remoteAddress ?? 'unknown')}` };
  }

  private isMetricsToken(request: Request): boolean {
    const token = bearerToken(request.headers.authorization);
    return token !== undefined && this.metricsDigest !== undefined && sameDigest(sha256Hex(token), this.metricsDigest);
  }

  private kindOf(context: ExecutionContext): RouteKind {
    const handler = context.getHandler();
    let kind = this.kinds.get(handler);
    if (!kind) {
      kind = routeKindOf(handler, context.getClass());
      this.kinds.set(handler, kind);
    }
    return kind;
  }
}

/** The library's check of a resolved limit (`ThrottlerGuard.toNumber`, private there). */
function asNumber(value: unknown, throttlerName: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || Number.isNaN(number)) {
    throw new Error(`Invalid "limit" for the "${throttlerName}" throttler: expected a number, got ${JSON.stringify(value)}.`);
  }
  return number;
}
