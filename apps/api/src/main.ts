import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { Logger as PinoNestLogger } from 'nestjs-pino';
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
import { requestLogOptions } from './http/request-logging';
import { createValidationPipe } from './http/validation';
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
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register({ config, rootLogger: createRootLogger(config), ...overrides, health, shutdown }), {
    bufferLogs: true,
    bodyParser: false,
    // Open keep-alive and SSE connections must not hold the shutdown until the grace runs out.
    forceCloseConnections: true,
    // Start-up failures reach the caller (and its logger), not Nest's own error dump.
    abortOnError: false,
  });
  app.useLogger(app.get(PinoNestLogger));
  // First of all, so a request the body parser refuses (413, 400, 415) is timed and carries its
  // id too. One Express layer for both: every layer costs each request a dispatch.
  const timed = app.get<ApiMetrics>(API_METRICS).httpMiddleware();
  app.use((request: Request, response: Response, next: NextFunction) => {
    response.setHeader('X-Request-Id', requestIdOf(request));
    timed(request, response, next);
  });
  app.useBodyParser('json', { limit: '2mb' });
  app.useGlobalPipes(createValidationPipe());
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
