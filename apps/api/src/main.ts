import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger as PinoNestLogger, PinoLogger } from 'nestjs-pino';
import {
  createRootLogger,
  DependencyHealth,
  describeEventStore,
  GracefulShutdown,
  loadConfigOrExit,
  logProcessWarnings,
  nestLoggerOver,
  redactUrl,
  StartupAbortedError,
} from '@cmk/runtime';
import { AppModule, type AppModuleOptions } from './app.module';
import { loadApiConfig, type ApiConfig } from './config';
import { requestIdOf } from './http/command-context';
import { answerUnknownExpectations } from './http/expectations';
import { requestLogOptions, requestLogWriter } from './http/request-logging';
import { JSON_BODY_LIMIT_BYTES } from './http/plain-json-body';
import { ErrorFilter } from './http/error.filter';
import { RateLimitGuard } from './http/rate-limit/rate-limit.guard';
import { OrgAccessGuard } from './auth/guards';
import { secretsHotPath } from './secrets/secrets-hot-path';
import { mountFrontDoor, type Edge } from './http/front-door';
import { createValidationPipe } from './http/validation';
import { securityHeaders } from './http/security-headers';
import type { ApiMetrics } from './ops/api-metrics';
import { setupOpenApi } from './openapi/openapi';
import { API_METRICS } from './tokens';

/** The outage tracker of one api process: where its dependencies live, for the outage lines. */
export function createDependencyHealth(config: ApiConfig): DependencyHealth {
  return new DependencyHealth({ logger: new Logger('dependencies'), where: { redis: redactUrl(config.redisUrl), eventstore: describeEventStore(config) } });
}

/**
 * Builds the Nest application (also used by tests that run the api in-process). Shutdown is the
 * caller's `GracefulShutdown`, not Nest's own hooks: it is bounded, and it also works while the
 * app is still being built.
 */
export async function createApiApp(config: ApiConfig, overrides: Partial<AppModuleOptions> = {}): Promise<NestExpressApplication> {
  const health = overrides.health ?? createDependencyHealth(config);
  const shutdown = overrides.shutdown ?? new GracefulShutdown({ graceMs: config.shutdownGraceMs, logger: new Logger('api') });
  const rootLogger = overrides.rootLogger ?? createRootLogger(config);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register({ config, ...overrides, rootLogger, health, shutdown }), {
    bufferLogs: true,
    bodyParser: false,
    // Open keep-alive and SSE connections must not hold the shutdown until the grace runs out.
    forceCloseConnections: true,
    // Start-up failures reach the caller (and its logger), not Nest's own error dump.
    abortOnError: false,
  });
  app.useLogger(app.get(PinoNestLogger));
  // The client address the anonymous rate-limit budget counts by (see CMK_TRUST_PROXY).
  app.set('trust proxy', config.trustProxy);
  const metrics = app.get<ApiMetrics>(API_METRICS);
  const headers = securityHeaders();
  const timed = metrics.httpMiddleware();
  const validation = createValidationPipe();
  const requestContext = new PinoLogger({ pinoHttp: requestLogOptions(rootLogger) });
  const lean = secretsHotPath({
    guards: [...(config.rateLimits.enabled ? [app.get(RateLimitGuard, { strict: false })] : []), app.get(OrgAccessGuard, { strict: false })],
    validation,
    commands: app.get(CommandBus, { strict: false }),
    errors: app.get(ErrorFilter, { strict: false }),
    log: requestLogWriter(rootLogger),
    inContext: (requestId, work) => requestContext.runInContext(work, { bindings: { reqId: requestId } }),
    served: metrics.leanPathServed,
  });
  // Security headers, request id and timing for every request, as one layer (every layer costs
  // each request a dispatch); the lean path's requests get them ahead of Express (front-door.ts).
  const edge: Edge = (request, response, next) => {
    headers(request, response, (error?: unknown) => {
      if (error) return next(error);
      response.setHeader('X-Request-Id', requestIdOf(request));
      timed(request, response, next);
    });
  };
  mountFrontDoor(app, edge, lean);
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT_BYTES });
  app.useGlobalPipes(validation);
  app.disable('x-powered-by');
  // No ETag: Express would hash every response body (SHA-1) for it, the secrets routes' plaintexts
  // included, and nothing here answers conditional requests.
  app.set('etag', false);
  answerUnknownExpectations(app.getHttpServer());
  setupOpenApi(app);
  return app;
}

async function main(config: ApiConfig, shutdown: GracefulShutdown, rootLogger: ReturnType<typeof createRootLogger>): Promise<void> {
  const app = await createApiApp(config, { shutdown, rootLogger });
  if (shutdown.stopping) throw new StartupAbortedError();
  // Registered last, so it runs first: HTTP stops, then the modules close their connections.
  shutdown.register('api', () => app.close());
  await app.listen(config.port, config.host);
  new Logger('api').log(`listening on http://${config.host}:${config.port} (event store: ${describeEventStore(config)})`);
}

if (require.main === module) {
  const config = loadConfigOrExit(() => loadApiConfig());
  // One pino logger for the whole process, from the first line (start-up and outages included).
  const rootLogger = createRootLogger(config);
  Logger.overrideLogger(nestLoggerOver(rootLogger, requestLogOptions(rootLogger)));
  logProcessWarnings(new Logger('node'));
  const logger = new Logger('api');
  const shutdown = new GracefulShutdown({ graceMs: config.shutdownGraceMs, logger });
  shutdown.install();
  main(config, shutdown, rootLogger).catch((error: unknown) => {
    // A signal during start-up: the shutdown closes what was opened and chooses the exit code.
    if (shutdown.stopping || error instanceof StartupAbortedError) return;
    logger.error(`api failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
