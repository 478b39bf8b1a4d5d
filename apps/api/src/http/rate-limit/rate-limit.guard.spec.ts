import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { SkipThrottle, Throttle, ThrottlerGuard, type ThrottlerModuleOptions, type ThrottlerStorage } from '@nestjs/throttler';
import type { Authenticator } from '../../auth/authenticator';
import type { ApiConfig } from '../../config';
import type { ApiMetrics } from '../../ops/api-metrics';
import { RateLimitedAs } from './route-budget';
import { RateLimitGuard, rateDecisionOf } from './rate-limit.guard';

@RateLimitedAs('secrets')
class Secrets {
  encrypt(): void {}
  @SkipThrottle()
  skipped(): void {}
  @Throttle({ default: { limit: 1, ttl: 1000 } })
  own(): void {}
}
class Public {
  probe(): void {}
}

/** A storage that records each call and answers from a script of hit counts. */
function storage(blockedFrom: number) {
  const calls: unknown[][] = [];
  const store: ThrottlerStorage = {
    increment: (...args: Parameters<ThrottlerStorage['increment']>) => {
      calls.push(args);
      const totalHits = calls.length;
      return Promise.resolve({ totalHits, timeToExpire: 60, isBlocked: totalHits >= blockedFrom, timeToBlockExpire: totalHits >= blockedFrom ? 7 : 0 });
    },
  };
  return { store, calls };
}

async function guardWith(store: ThrottlerStorage): Promise<RateLimitGuard> {
  const options: ThrottlerModuleOptions = { storage: store, setHeaders: false, throttlers: [{ name: 'default', ttl: 60_000, limit: (context) => ({ secrets: 3, anonymous: 2 })[rateDecisionOf(context).budget as 'secrets'] ?? 5 }] };
  const auth = { user: (request: { headers: Record<string, string> }) => Promise.resolve(request.headers.authorization ? { entry: { tokenId: 'tok-1' } } : undefined), isOperator: () => false } as unknown as Authenticator;
  const metrics = { rateLimited: () => undefined } as unknown as ApiMetrics;
  const guard = new RateLimitGuard(options, store, new Reflector(), auth, { metricsToken: undefined } as unknown as ApiConfig, metrics);
  await guard.onModuleInit();
  return guard;
}

function contextOf(classRef: object, handler: (...args: never[]) => unknown, authorization?: string): { context: ExecutionContext; headers: Map<string, string> } {
  const headers = new Map<string, string>();
  const request = { method: 'POST', headers: authorization ? { authorization } : {}, ip: '10.0.0.1', socket: { remoteAddress: '10.0.0.1' } };
  const response = { setHeader: (name: string, value: string) => headers.set(name, value) };
  return { context: new ExecutionContextHost([request, response], classRef as never, handler), headers };
}

/** Runs requests through the guard's own `canActivate` or the library's, and tells what each did. */
async function run(library: boolean, requests: [object, (...args: never[]) => unknown, string?][]) {
  const { store, calls } = storage(5);
  const guard = await guardWith(store);
  const outcomes: unknown[] = [];
  for (const [classRef, handler, authorization] of requests) {
    const { context, headers } = contextOf(classRef, handler, authorization);
    try {
      outcomes.push(await (library ? ThrottlerGuard.prototype.canActivate.call(guard, context) : guard.canActivate(context)));
    } catch (error) {
      outcomes.push({ code: (error as { code?: string }).code, message: (error as Error).message, retryAfter: headers.get('Retry-After') });
    }
  }
  return { outcomes, calls };
}

describe('RateLimitGuard.canActivate', () => {
  it("counts, skips and refuses exactly like the library's canActivate", async () => {
    const requests: [object, (...args: never[]) => unknown, string?][] = [
      [Secrets, Secrets.prototype.encrypt, 'Bearer t'],
      [Secrets, Secrets.prototype.skipped, 'Bearer t'],
      [Public, Public.prototype.probe],
      [Secrets, Secrets.prototype.own, 'Bearer t'],
      [Secrets, Secrets.prototype.encrypt, 'Bearer t'],
      [Secrets, Secrets.prototype.encrypt],
    ];
    const libraryPath = jest.spyOn(ThrottlerGuard.prototype, 'canActivate');
    const ours = await run(false, requests);
    // Only the route with its own `@Throttle` settings went the library's way.
    expect(libraryPath).toHaveBeenCalledTimes(1);
    libraryPath.mockRestore();
    const library = await run(true, requests);
    expect(ours).toEqual(library);
    expect(ours.calls.length).toBe(5);
    // Counted: encrypt, the probe (by address), the route with its own settings, encrypt, then
    // the request without a token (by address) is the storage's fifth and is refused.
    expect(ours.outcomes.slice(0, 5)).toEqual([true, true, true, true, true]);
    expect(ours.outcomes[5]).toMatchObject({ code: 'RATE_LIMITED', retryAfter: '7' });
    expect(ours.calls.map((call) => [call[0], call[2]])).toEqual(library.calls.map((call) => [call[0], call[2]]));
  });
});
