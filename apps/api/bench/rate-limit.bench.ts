import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ThrottlerModuleOptions } from '@nestjs/throttler';
import { Redis } from 'ioredis';
import { RedisServer } from '@cmk/testing';
import type { Authenticator } from '../src/auth/authenticator';
import type { ApiConfig } from '../src/config';
import { SecretsController } from '../src/secrets/secrets.controller';
import { ApiMetrics } from '../src/ops/api-metrics';
import { rateDecisionOf, RateLimitGuard } from '../src/http/rate-limit/rate-limit.guard';
import { RedisThrottlerStorage } from '../src/http/rate-limit/redis-throttler-storage';

/**
 * `npm run bench:rate-limit`: the rate limiter's own CPU per request, in process, against a
 * private redis-server: the global guard on a secrets route (decision, throttler bookkeeping,
 * one script call) with the token already verified (the route's guard verifies it anyway and
 * shares the result), CONCURRENCY requests in flight. CPU time of this process only
 * (`process.cpuUsage`), so it depends little on what else runs on the machine; Redis's own CPU is
 * reported apart (`INFO commandstats`). Writes bench-results/rate-limit.json. The connection is
 * like the api's (no auto-pipelining; `BENCH_AUTO_PIPELINING=true` to compare).
 */
const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 20_000);
const CONCURRENCY = 32;

async function main(): Promise<void> {
  const server = await RedisServer.start();
  const redis = new Redis(server.url, { maxRetriesPerRequest: null, enableAutoPipelining: process.env['BENCH_AUTO_PIPELINING'] === 'true' });
  try {
    const storage = new RedisThrottlerStorage(redis, { redisUp: () => true });
    const limits = { secrets: 1e9, commands: 1e9, reads: 1e9, operator: 1e9, anonymous: 1e9 };
    const options: ThrottlerModuleOptions = { storage, setHeaders: false, throttlers: [{ name: 'default', ttl: 60_000, limit: (context) => limits[rateDecisionOf(context).budget] }] };
    const verified = Promise.resolve({ orgId: 'bench', entry: { tokenId: 'bench-token', user: 'bench', role: 'member', sha256: '', revoked: false, issuedAt: '' } });
    const auth = { user: () => verified, isOperator: () => false } as unknown as Authenticator;
    const guard = new RateLimitGuard(options, storage, new Reflector(), auth, { metricsToken: undefined } as ApiConfig, new ApiMetrics());
    await guard.onModuleInit();
    const handler = (SecretsController.prototype as unknown as Record<string, () => void>)['decrypt'];
    const contextFor = () => {
      const request = { method: 'POST', headers: {}, ip: '127.0.0.1', socket: {} };
      const response = { setHeader: () => undefined };
      return {
        getType: () => 'http',
        getHandler: () => handler,
        getClass: () => SecretsController,
        switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
      } as unknown as ExecutionContext;
    };
    const run = async (count: number) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < count) {
            next += 1;
            if (!(await guard.canActivate(contextFor()))) throw new Error('refused');
          }
        }),
      );
    };
    await run(2_000); // warm-up: JIT, script cache, connection
    await redis.config('RESETSTAT');
    const load = loadavg()[0];
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    await run(REQUESTS);
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const cpu = process.cpuUsage(cpuBefore);
    const stats = await redis.info('commandstats');
    const evalsha = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(stats);
    const figures = {
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      guardCpuMicrosPerRequest: (cpu.user + cpu.system) / REQUESTS,
      redisScriptMicrosPerCall: evalsha ? Number(evalsha[2]) / Number(evalsha[1]) : NaN,
      redisCallsPerRequest: evalsha ? Number(evalsha[1]) / REQUESTS : NaN,
      requestsPerSecondOneProcess: REQUESTS / (wallMs / 1000),
      loadAverage1m: load,
      cpus: cpus().length,
    };
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    mkdirSync('bench-results', { recursive: true });
    writeFileSync(join('bench-results', 'rate-limit.json'), `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, ...figures }, null, 2)}\n`);
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
