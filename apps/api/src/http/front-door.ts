import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Express, Request, Response } from 'express';
import type { SecretsHotPath } from '../secrets/secrets-hot-path';

/** What every request gets first: security headers, request id, timing (`next(error)` on a failure). */
export type Edge = (request: Request, response: Response, next: (error?: unknown) => void) => void;

/**
 * The api's front door. Every request gets `edge` first: as Express's first layer, so that even
 * a request the body parser refuses is timed and carries its id and the security headers. The
 * requests the secrets routes' lean path takes (`SecretsHotPath.takes`: method, path and headers
 * only) get it ahead of Express instead — the HTTP server's request listener hands them to the
 * lean path after `edge`, everything else to the Express app as before — so they pay neither
 * Express's router nor its layers. Such a request is made an Express request and response first,
 * exactly as Express's `app.handle` and router do, so the guards and the error filter see what
 * they see on the Nest route (`request.ip`, `response.status()`, …).
 */
export function mountFrontDoor(app: NestExpressApplication, edge: Edge, lean: SecretsHotPath): void {
  app.use(edge);
  const server = app.getHttpServer();
  const express = app.getHttpAdapter().getInstance() as Express;
  if (!server.listeners('request').includes(express)) throw new Error('The HTTP server does not dispatch to the Express app: the lean path cannot be mounted ahead of it');
  server.removeListener('request', express);
  server.on('request', (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const taken = lean.takes(incoming);
    if (!taken) return express(incoming, outgoing);
    const [request, response] = asExpress(express, incoming, outgoing);
    // A failing edge (a programming error) goes the way Express takes it: to the error filter.
    edge(request, response, (error) => (error ? express(incoming, outgoing) : lean.serve(taken, request, response)));
  });
}

/** What Express 5's `app.handle` and its router do to a request and a response before the first layer. */
function asExpress(express: Express, incoming: IncomingMessage, outgoing: ServerResponse): [Request, Response] {
  if (express.enabled('x-powered-by')) outgoing.setHeader('X-Powered-By', 'Express');
  const request = incoming as Request;
  const response = outgoing as Response;
  request.res = response;
  response.req = request;
  Object.setPrototypeOf(request, express.request);
  Object.setPrototypeOf(response, express.response);
  response.locals ??= Object.create(null) as Response['locals'];
  request.originalUrl ||= request.url;
  request.baseUrl = '';
  return [request, response];
}
