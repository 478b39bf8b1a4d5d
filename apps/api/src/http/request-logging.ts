import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';
import type { Options } from 'pino-http';
import type { AuthenticatedRequest } from '../auth/principal';
import { requestIdOf } from './command-context';
import { orgOf, routeTemplateOf } from './route-template';

function withRoute(request: IncomingMessage, fields: object): object {
  const org = orgOf(request);
  return { ...fields, route: routeTemplateOf(request), ...(org ? { org } : {}) };
}

/**
 * One log line per request (pino-http through nestjs-pino): method, route template, status,
 * duration, request id and org. Nothing else of the request is serialized: no headers (tokens,
 * cookies), no body, no raw path or query. The root logger redacts those paths as well, so a
 * mistake elsewhere cannot log them either.
 *
 * The request id is the one `requestIdOf` settles (the client's valid `X-Request-Id`, or a new
 * UUID): it is echoed as `X-Request-Id` on every response and is what lands in event metadata.
 */
export function requestLogging(root: Pino): DynamicModule {
  return LoggerModule.forRoot({ pinoHttp: requestLogOptions(root) });
}

/**
 * The pino-http options of the request log. nestjs-pino builds one pino-http instance per process,
 * on first use, from whichever options reach it first: the process logger installed before the
 * app (main.ts) must therefore be given these same options, or the request log falls back to
 * pino-http's default serializers (headers, raw URL, query).
 */
export function requestLogOptions(root: Pino): Options {
  return {
    logger: root,
    quietReqLogger: true,
    // The api's first middleware has already set `X-Request-Id` to this same id (main.ts).
    genReqId: (request: IncomingMessage) => requestIdOf(request as AuthenticatedRequest),
    // Our serializers take the raw request, response and error: pino-http's default wrapping
    // first copies every header into a plain object (twice per request), only for these to
    // pick two fields out of it.
    wrapSerializers: false,
    serializers: {
      req: (request: { id?: unknown; method?: unknown }) => ({ id: request.id, method: request.method }),
      res: (response: { statusCode?: unknown }) => ({ statusCode: response.statusCode }),
      err: (error: { constructor?: { name?: unknown }; message?: unknown }) => ({ type: error?.constructor?.name, message: error?.message }),
    },
    // Route and org join the one line logged at the end (no child logger per request: cheaper).
    customSuccessObject: (request: IncomingMessage, _response: ServerResponse, fields: object) => withRoute(request, fields),
    customErrorObject: (request: IncomingMessage, _response: ServerResponse, _error: Error, fields: object) => withRoute(request, fields),
    // 503 is the answer while a dependency is down (readiness probes, commands): the outage has
    // its own log lines, so each such request is not an error line of its own.
    customLogLevel: (_request, response, error) => (error || (response.statusCode >= 500 && response.statusCode !== 503) ? 'error' : 'info'),
    customSuccessMessage: (request, response, ms) => `${request.method} ${routeTemplateOf(request)} ${response.statusCode} ${ms} ms`,
    customErrorMessage: (request, response) => `${request.method} ${routeTemplateOf(request)} ${response.statusCode} failed`,
  };
}
