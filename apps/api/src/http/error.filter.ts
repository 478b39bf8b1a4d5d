import { Catch, HttpException, Inject, Logger, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApplicationError } from '@cmk/application';
import { DomainError, httpStatusOf } from '@cmk/domain';
import { ConcurrencyError, EventStoreUnavailableError } from '@cmk/eventstore';
import { outageDependency, type DependencyHealth } from '@cmk/runtime';
import { DEPENDENCY_HEALTH } from '../tokens';
import { errorBody, type ErrorBody } from './error-body';
import { requestIdOf } from './command-context';
import { plainSentenceFor } from './member-errors';
import type { AuthenticatedRequest } from '../auth/principal';

/** Body-parser failures carry a `type`; they are the client's fault, never a 500. */
function bodyParserError(exception: unknown): { status: number; body: ErrorBody } | undefined {
  if (typeof exception !== 'object' || exception === null || !('type' in exception)) return undefined;
  switch (exception.type) {
    case 'entity.parse.failed':
      return { status: 400, body: errorBody('INVALID_JSON', 'The request body is not valid JSON') };
    case 'entity.too.large':
      return { status: 413, body: errorBody('PAYLOAD_TOO_LARGE', 'The request body is too large') };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, body: errorBody('UNSUPPORTED_ENCODING', 'The request body encoding is not supported') };
    default:
      return undefined;
  }
}

const HTTP_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

/**
 * Maps every failure to `{ error: { code, message, details } }`. Known errors keep their stable
 * codes; an outage of Redis or the event store is a 503 `DEPENDENCY_UNAVAILABLE` (counted by the
 * dependency-health service, not logged per request); anything unexpected is a 500 with a
 * request id and no stack or internal message.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  constructor(@Optional() @Inject(DEPENDENCY_HEALTH) private readonly health?: DependencyHealth) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    const { status, body } = this.forCaller(this.map(exception, request), request);
    if (response.headersSent) return;
    // Explicit type: a route's @Header('Content-Type') must not label an error body as text.
    response.status(status).type('application/json').json(body);
  }

  /** Members get a key-provider failure's code and a plain sentence; admins get the ARNs and AWS's message. */
  private forCaller(mapped: { status: number; body: ErrorBody }, request: Request): { status: number; body: ErrorBody } {
    const plain = plainSentenceFor((request as AuthenticatedRequest).principal, mapped.body.error.code);
    return plain ? { status: mapped.status, body: errorBody(mapped.body.error.code, plain, { requestId: requestIdOf(request) }) } : mapped;
  }

  private map(exception: unknown, request: Request): { status: number; body: ErrorBody } {
    if (exception instanceof DomainError) return { status: httpStatusOf(exception.code), body: errorBody(exception.code, exception.message, exception.details) };
    if (exception instanceof ApplicationError) return { status: exception.httpStatus, body: errorBody(exception.code, exception.message, exception.details) };
    if (exception instanceof ConcurrencyError) {
      return { status: 409, body: errorBody('CONCURRENT_CHANGE', 'Another change to the same resource won the race; read it again and retry') };
    }
    if (exception instanceof EventStoreUnavailableError) {
      if (!this.health?.noticed(exception, `${request.method} ${request.path}`)) this.logger.warn(`${exception.message} on ${request.method} ${request.path} (request ${requestIdOf(request)})`);
      return { status: 503, body: errorBody('EVENT_STORE_UNAVAILABLE', 'The event store is unavailable; retry with the same Idempotency-Key', { requestId: requestIdOf(request) }) };
    }
    if (exception instanceof HttpException) {
      const parsed = bodyParserError(exception.cause);
      if (parsed) return parsed;
      if (exception.cause instanceof SyntaxError) return { status: 400, body: errorBody('INVALID_JSON', 'The request body is not valid JSON') };
      const status = exception.getStatus();
      const code = HTTP_CODES[status] ?? `HTTP_${status}`;
      const message = status === 404 ? `No route ${request.method} ${request.path}` : exception.message;
      return { status, body: errorBody(code, message) };
    }
    const parsed = bodyParserError(exception);
    if (parsed) return parsed;
    const requestId = requestIdOf(request);
    const dependency = outageDependency(exception);
    if (dependency) {
      this.health?.noticed(exception, `${request.method} ${request.path}`);
      const what = dependency === 'redis' ? 'Redis' : 'The event store';
      return { status: 503, body: errorBody('DEPENDENCY_UNAVAILABLE', `${what} is unavailable; retry shortly`, { dependency, requestId }) };
    }
    const name = exception instanceof Error ? exception.name : typeof exception;
    this.logger.error(`Unhandled ${name} on ${request.method} ${request.path} (request ${requestId}): ${exception instanceof Error ? exception.message : ''}`);
    return { status: 500, body: errorBody('INTERNAL', 'Something went wrong on our side', { requestId }) };
  }
}
