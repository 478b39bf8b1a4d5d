import { Inject, Injectable, type ExecutionContext } from '@nestjs/common';
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
