import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { createRootLogger, describeEventStore, loadConfigOrExit } from '@cmk/runtime';
import { AppModule } from './app.module';
import { loadApiConfig, type ApiConfig } from './config';
import { requestIdOf } from './http/command-context';
import { createValidationPipe } from './http/validation';
import type { ApiMetrics } from './ops/api-metrics';
import { setupOpenApi } from './openapi/openapi';
import { API_METRICS } from './tokens';

/** Builds the Nest application (also used by tests that run the api in-process). */
export async function createApiApp(config: ApiConfig, overrides: Partial<Parameters<typeof AppModule.register>[0]> = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register({ config, rootLogger: createRootLogger(config), ...overrides }), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(PinoNestLogger));
  app.use(app.get<ApiMetrics>(API_METRICS).httpMiddleware());
  // First of all, so a request the body parser refuses (413, 400, 415) carries its id too.
  app.use((request: Request, response: Response, next: NextFunction) => {
    response.setHeader('X-Request-Id', requestIdOf(request));
    next();
  });
  app.useBodyParser('json', { limit: '2mb' });
  app.useGlobalPipes(createValidationPipe());
  app.disable('x-powered-by');
  app.enableShutdownHooks();
  setupOpenApi(app);
  return app;
}

async function main(): Promise<void> {
  const config = loadConfigOrExit(() => loadApiConfig());
  const app = await createApiApp(config);
  await app.listen(config.port, config.host);
  const logger = new Logger('api');
  logger.log(`listening on http://${config.host}:${config.port} (event store: ${describeEventStore(config)})`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`api failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
