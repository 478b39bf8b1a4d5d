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

/** What the request log writes and at which level (everything of the options but the logger). */
const REQUEST_LOG_FIELDS = {
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
  customLogLevel: (_request: IncomingMessage, response: ServerResponse, error: Error | undefined): 'error' | 'info' => (error || (response.statusCode >= 500 && response.statusCode !== 503) ? 'error' : 'info'),
  customSuccessMessage: (request: IncomingMessage, response: ServerResponse, ms: number) => `${request.method} ${routeTemplateOf(request)} ${response.statusCode} ${ms} ms`,
  customErrorMessage: (request: IncomingMessage, response: ServerResponse) => `${request.method} ${routeTemplateOf(request)} ${response.statusCode} failed`,
} satisfies Omit<Options, 'logger'>;

/**
 * The pino-http options of the request log. nestjs-pino builds one pino-http instance per process,
 * on first use, from whichever options reach it first: the process logger installed before the
 * app (main.ts) must therefore be given these same options, or the request log falls back to
 * pino-http's default serializers (headers, raw URL, query).
 */
export function requestLogOptions(root: Pino): Options {
  return { logger: root, ...REQUEST_LOG_FIELDS };
}


/**
 * Writes the request log line of a request that pino-http did not see (the secrets routes' lean
 * path, `secrets/secrets-hot-path.ts`) exactly as pino-http writes it with the options above:
 * the same logger, serializers, level, fields in the same order, message. Call it once the
 * response is closed, with the time the request was taken up (`Date.now()`).
 */
export function requestLogWriter(root: Pino): (request: IncomingMessage, response: ServerResponse, startedAt: number) => void {
  const { serializers, customLogLevel, customSuccessMessage, customErrorMessage } = REQUEST_LOG_FIELDS;
  // pino-http logs through a child of the root logger carrying its serializers.
  const logger = root.child({}, { serializers });
  return (request, response, startedAt) => {
    const responseTime = Date.now() - startedAt;
    const level = customLogLevel(request, response, undefined);
    if (!logger.isLevelEnabled(level)) return;
    // pino-http's line: `reqId` and `req` bound on its per-request child, then `res`, (`err`,)
    // `responseTime`, and `route` and `org` from `withRoute`. Built in one object: cheaper.
    const reqId = requestIdOf(request as AuthenticatedRequest);
    const req = { id: reqId, method: request.method };
    const route = routeTemplateOf(request);
    const org = orgOf(request);
    if (response.statusCode >= 500) {
      const err = new Error(`failed with status code ${response.statusCode}`);
      const line = org ? { reqId, req, res: response, err, responseTime, route, org } : { reqId, req, res: response, err, responseTime, route };
      logger[level](line, customErrorMessage(request, response));
      return;
    }
    const line = org ? { reqId, req, res: response, responseTime, route, org } : { reqId, req, res: response, responseTime, route };
    logger[level](line, customSuccessMessage(request, response, responseTime));
  };
}
