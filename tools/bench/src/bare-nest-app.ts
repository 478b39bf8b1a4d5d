import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

/**
 * The floor for `npm run bench:http`: a bare NestJS app on one HTTP adapter (`BARE_ADAPTER`
 * express or fastify) with the JSON body limit of the api and two routes shaped like the api's
 * lightest ones (a probe, and a POST that parses a small JSON body and answers with one).
 * No guards, validation, logging or metrics: what Nest and the adapter cost by themselves.
 */
@Controller()
class BareController {
  @Get('healthz')
  health() {
    return { status: 'ok' };
  }

  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: { values?: unknown[] }) {
    return { values: Array.isArray(body?.values) ? body.values : [] };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

async function main(): Promise<void> {
  const port = Number(process.env['PORT']);
  if (process.env['BARE_ADAPTER'] === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    const app = await NestFactory.create(BareModule, new FastifyAdapter({ bodyLimit: 2 * 1024 * 1024 }), { logger: ['error'] });
    await app.listen(port, '127.0.0.1');
  } else {
    const app = await NestFactory.create<NestExpressApplication>(BareModule, { logger: ['error'], bodyParser: false });
    app.useBodyParser('json', { limit: '2mb' });
    await app.listen(port, '127.0.0.1');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bare app failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
