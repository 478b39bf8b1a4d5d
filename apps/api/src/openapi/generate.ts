import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DependencyHealth, GracefulShutdown } from '@cmk/runtime';
import { AppModule } from '../app.module';
import { loadApiConfig } from '../config';
import { buildOpenApiDocument } from './openapi';

/**
 * Writes the OpenAPI document without starting anything: Nest's preview mode builds the module
 * graph (controllers, routes, DTO metadata) but instantiates no provider, so no Redis, event
 * store or key file is touched. The build runs this, then generates the typed client from it.
 *
 * `node dist/apps/api/src/openapi/generate.js [out]` (default `dist/openapi.json`).
 */
export async function generateOpenApiDocument(): Promise<object> {
  const config = loadApiConfig({ CMK_OPERATOR_TOKEN: 'document-generation-only-not-a-secret', CMK_DATA_DIR: '/nonexistent', PUBLIC_URL: 'http://127.0.0.1:3000' });
  // Never used (preview mode starts nothing), but the module binds them.
  const health = new DependencyHealth({ logger: new Logger('dependencies'), where: { redis: '-', eventstore: '-' } });
  const shutdown = new GracefulShutdown({ graceMs: config.shutdownGraceMs, logger: new Logger('openapi') });
  const app = await NestFactory.create(AppModule.register({ config, health, shutdown }), { preview: true, logger: false, abortOnError: false });
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? 'dist/openapi.json');
  const document = await generateOpenApiDocument();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`openapi generation failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
