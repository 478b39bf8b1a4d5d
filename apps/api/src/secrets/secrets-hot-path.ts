import type { CanActivate, ExceptionFilter, PipeTransform } from '@nestjs/common';
import { ForbiddenException } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { CommandBus } from '@nestjs/cqrs';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { AuthenticatedRequest } from '../auth/principal';
import { commandContextOf, requestIdOf } from '../http/command-context';
import { isPlainJsonBody, readPlainJsonBody } from '../http/plain-json-body';
import { DecryptSecretsCommand, EncryptSecretsCommand } from './commands';
import { DecryptSecretsDto, EncryptSecretsDto } from './dto';
import { SecretsController } from './secrets.controller';

/** What the lean path reuses of the Nest app: the very instances the Nest route runs through. */
export interface SecretsHotPathParts {
  /** The global guards in Nest's order (the rate limiter, when limits are on), then the controller's (`OrgAccessGuard`). */
  readonly guards: readonly CanActivate[];
  /** The global validation pipe (`createValidationPipe`). */
  readonly validation: PipeTransform;
  readonly commands: CommandBus;
  /** The global error filter (`ErrorFilter`). */
  readonly errors: ExceptionFilter;
  /** Writes the request log line (`requestLogWriter`). */
  readonly log: (request: Request, response: Response, startedAt: number) => void;
  /**
   * Runs a request's work in its logging context (nestjs-pino's `PinoLogger.runInContext`), so
   * that what is logged while serving it carries its `reqId`, as under the request-log middleware.
   */
  readonly inContext: <T>(requestId: string, work: () => T) => T;
  /** Counts the requests the lean path served (`cmk_http_lean_path_requests_total`). */
  readonly served?: (route: string) => void;
}

/** `/api/orgs/<org login>/secrets/encrypt|decrypt`, exactly: other spellings go to the router. */
const HOT_URL = /^\/api\/orgs\/([a-z0-9][a-z0-9-]{0,38})\/secrets\/(encrypt|decrypt)$/;

const ROUTES = {
  encrypt: { route: { path: '/api/orgs/:org/secrets/encrypt' }, handler: SecretsController.prototype.encrypt },
  decrypt: { route: { path: '/api/orgs/:org/secrets/decrypt' }, handler: SecretsController.prototype.decrypt },
} as const;

type Action = keyof typeof ROUTES;

/** A request the lean path takes: its org and route. */
export interface HotRequest {
  readonly org: string;
  readonly action: Action;
}

/** The lean path: which requests it takes (method, path, headers only: nothing read yet) and how it serves them. */
export interface SecretsHotPath {
  takes(request: IncomingMessage): HotRequest | undefined;
  /** Serves a request `takes` accepted, once the front door has made it an Express request and response. */
  serve(taken: HotRequest, request: Request, response: Response): void;
}

/**
 * The lean path of `POST /api/orgs/:org/secrets/encrypt` and `/decrypt`, the api's busiest
 * routes. It serves them without Express's router, the request-log middleware or Nest's
 * per-request route pipeline, through the same objects the Nest route uses, in Nest's order:
 * body → global and controller guards (rate limit budget, token, org, role) → command context →
 * validation pipe (its quick check) → command bus → `200` JSON, any failure to the global error
 * filter; one request log line like pino-http's. `SecretsController` stays the documented
 * definition of these routes (OpenAPI); a request the lean path does not take (another spelling
 * of the path, a body that is not plain UTF-8 JSON of a declared length within the limit) goes
 * to it unchanged. `secrets-hot-path.e2e.spec.ts` holds the two to the same answers.
 */
export function secretsHotPath(parts: SecretsHotPathParts): SecretsHotPath {
  return {
    takes(request) {
      if (request.method !== 'POST') return undefined;
      const match = HOT_URL.exec(request.url ?? '');
      if (match === null || !isPlainJsonBody(request.headers)) return undefined;
      return { org: match[1], action: match[2] as Action };
    },
    serve({ org, action }, request, response) {
      parts.served?.(ROUTES[action].route.path);
      readPlainJsonBody(request, (body, error) => {
        const context = new ExecutionContextHost([request, response, noNext], SecretsController, ROUTES[action].handler);
        // Like a body the body parser refuses: answered before routing, so no route and no request line.
        if (error) {
          parts.errors.catch(error, context);
          return;
        }
        request.body = body;
        // What Express's router would now set: the route template (logs, histogram) and `:org`.
        request.params = { org };
        (request as { route?: unknown }).route = ROUTES[action].route;
        const startedAt = Date.now();
        response.once('close', () => parts.log(request, response, startedAt));
        parts.inContext(requestIdOf(request as AuthenticatedRequest), () =>
          handle(parts, context, request as AuthenticatedRequest, response, org, action, body).catch((failure: unknown) => parts.errors.catch(failure, context)),
        );
      });
    },
  };
}

/** The lean path has no next handler: whatever it takes, it answers. */
const noNext: NextFunction = () => undefined;

async function handle(parts: SecretsHotPathParts, context: ExecutionContextHost, request: AuthenticatedRequest, response: Response, org: string, action: Action, body: unknown): Promise<void> {
  for (const guard of parts.guards) {
    const verdict = guard.canActivate(context);
    // Nest's answer to a guard that says no (ours throw their own errors instead).
    if (!(verdict === true || (verdict !== false && (await verdict) === true))) throw new ForbiddenException('Forbidden resource');
  }
  if (action === 'encrypt') {
    // Nest resolves the route's arguments together: a bad Idempotency-Key (thrown at once by
    // `@Ctx`) wins over a bad body (refused by the pipe a few ticks later).
    const ctx = commandContextOf(request);
    const dto = (await parts.validation.transform(body, { type: 'body', metatype: EncryptSecretsDto, data: undefined })) as EncryptSecretsDto;
    const ciphertexts = await parts.commands.execute(new EncryptSecretsCommand(org, dto.scope, dto.values, ctx));
    reply(response, { ciphertexts });
    return;
  }
  const dto = (await parts.validation.transform(body, { type: 'body', metatype: DecryptSecretsDto, data: undefined })) as DecryptSecretsDto;
  const values = await parts.commands.execute(new DecryptSecretsCommand(org, dto.ciphertexts));
  reply(response, { values });
}

/**
 * The bytes and headers Express's `res.status(200).json(body)` sends for a POST with the api's
 * settings (no ETag, no JSON replacer or spaces), without its content negotiation helpers.
 */
function reply(response: Response, body: object): void {
  const json = JSON.stringify(body);
  response.statusCode = 200;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Content-Length', Buffer.byteLength(json, 'utf8'));
  response.end(json, 'utf8');
}
