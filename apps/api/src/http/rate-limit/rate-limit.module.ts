import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import type { DependencyHealth } from '@cmk/runtime';
import type { ApiMetrics } from '../../ops/api-metrics';
import { API_METRICS, DEPENDENCY_HEALTH, REDIS } from '../../tokens';
import type { RateLimitSettings } from './rate-limit-settings';
import { rateDecisionOf, RateLimitGuard } from './rate-limit.guard';
import { RedisThrottlerStorage } from './redis-throttler-storage';

/**
 * Inbound rate limits (see `RateLimitGuard`): `@nestjs/throttler` over Redis, so every api
 * replica counts against the same budgets. With `CMK_RATE_LIMIT_ENABLED=false` nothing is
 * registered and requests cost nothing extra.
 */
@Module({})
export class RateLimitModule {
  static register(settings: RateLimitSettings): DynamicModule {
    if (!settings.enabled) return { module: RateLimitModule };
    return {
      module: RateLimitModule,
      imports: [
        ThrottlerModule.forRootAsync({
          inject: [REDIS, DEPENDENCY_HEALTH, API_METRICS],
          useFactory: (redis: Redis, health: DependencyHealth, metrics: ApiMetrics): ThrottlerModuleOptions => {
            const storage = new RedisThrottlerStorage(redis, { redisUp: () => health.isUp('redis') });
            metrics.watchRateLimitStorage(storage);
            return {
              storage,
              // Headers are the guard's own: `Retry-After` on a refusal (the library's would be suffixed by budget).
              setHeaders: false,
              throttlers: [{ name: 'default', ttl: settings.windowSeconds * 1000, limit: (context) => settings.limits[rateDecisionOf(context).budget] }],
            };
          },
        }),
      ],
      // One instance, global: the secrets routes' lean path runs the same guard (main.ts).
      providers: [RateLimitGuard, { provide: APP_GUARD, useExisting: RateLimitGuard }],
      exports: [RateLimitGuard],
    };
  }
}
