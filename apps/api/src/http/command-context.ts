import { randomUUID } from 'node:crypto';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { EventMetadata } from '@cmk/domain';
import { ApplicationError } from '@cmk/application';
import { actorOf, type AuthenticatedRequest } from '../auth/principal';

/**
 * What every command carries from the HTTP edge: event metadata (actor, token, request and
 * correlation ids, the time the request was accepted) and the optional idempotency key.
 */
export interface CommandContext {
  readonly metadata: EventMetadata;
  readonly idempotencyKey: string | undefined;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;
/** Client-sent request and correlation ids go into every event's metadata: short and plain only. */
const TRACE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function header(request: AuthenticatedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function traceHeader(request: AuthenticatedRequest, name: string): string | undefined {
  const value = header(request, name);
  return value !== undefined && TRACE_ID.test(value) ? value : undefined;
}

/**
 * Where a request keeps its id: on the request itself (a symbol no header or body can name),
 * not in a WeakMap, whose one entry per request the garbage collector has to trace as an
 * ephemeron.
 */
const REQUEST_ID = Symbol('cmk:request-id');

/**
 * The request's id: the client's `X-Request-Id` when it is 1-128 characters of letters, digits
 * and `. _ : -`, otherwise one generated here (anything else would be stored verbatim in the
 * audit trail and echoed in error bodies). Stable for the request: events and a 500's body agree.
 */
export function requestIdOf(request: AuthenticatedRequest): string {
  const holder = request as AuthenticatedRequest & { [REQUEST_ID]?: string };
  let id = holder[REQUEST_ID];
  if (id === undefined) {
    id = traceHeader(request, 'x-request-id') ?? randomUUID();
    holder[REQUEST_ID] = id;
  }
  return id;
}

/**
 * The request's command context. The idempotency key is checked at once (a bad one is the
 * request's first 400); the metadata is built on first read, from what the request carries now
 * and the time taken now, because most commands of the busiest route never read it: an encrypt
 * puts it on an event only when it issues a data key (a scope's first use). Read or not, the
 * metadata is the same object with the same values as if built here.
 */
export function commandContextOf(request: AuthenticatedRequest): CommandContext {
  const requestId = requestIdOf(request);
  const idempotencyKey = header(request, 'idempotency-key');
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new ApplicationError('VALIDATION_FAILED', 400, 'Idempotency-Key must be 1-128 characters of letters, digits and . _ : -', { fields: { 'Idempotency-Key': ['invalid'] } });
  }
  const principal = request.principal;
  const correlation = header(request, 'x-correlation-id');
  const acceptedAt = Date.now();
  let metadata: EventMetadata | undefined;
  return {
    get metadata(): EventMetadata {
      metadata ??= {
        actor: actorOf(principal),
        ...(principal?.kind === 'user' ? { tokenId: principal.tokenId } : {}),
        requestId,
        correlationId: correlation !== undefined && TRACE_ID.test(correlation) ? correlation : requestId,
        causationId: requestId,
        occurredAt: new Date(acceptedAt).toISOString(),
      };
      return metadata;
    },
    idempotencyKey,
  };
}

/** Injects the `CommandContext` of the current request. */
export const Ctx = createParamDecorator((_: unknown, context: ExecutionContext): CommandContext =>
  commandContextOf(context.switchToHttp().getRequest<AuthenticatedRequest>()),
);
