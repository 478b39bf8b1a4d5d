import { ERROR_CODES } from '@cmk/domain';
import { KMS_ERROR_CODES } from '@cmk/key-providers';
import { SECRETS_ERROR_CODES } from '@cmk/secrets';
import { AUDIT_ERROR_CODES } from '@cmk/audit';
import { KEY_HEALTH_ERROR_CODES } from '@cmk/key-health';
import { WEBHOOK_ERROR_CODES } from '@cmk/webhooks';

/**
 * Codes the HTTP layer itself answers (guards, body parsing, the command path), beside the
 * domain, KMS and secrets tables. One table of every code → status, so a route's documented
 * errors are named by code and the status follows: the document cannot disagree with the filter.
 */
const HTTP_LAYER_CODES = {
  UNAUTHENTICATED: 401,
  INVALID_JSON: 400,
  UNSUPPORTED_ENCODING: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  TOKEN_ALREADY_ISSUED: 409,
  INVALID_TICKET: 401,
  /** A request budget is spent (`Retry-After` says when to retry). */
  RATE_LIMITED: 429,
  /** The org holds `CMK_STREAM_MAX_PER_ORG` progress streams on this replica. */
  STREAM_LIMIT_REACHED: 429,
  /** The replica holds `CMK_STREAM_MAX_TOTAL` progress streams. */
  STREAM_CAPACITY_REACHED: 503,
} as const;

export const ALL_ERROR_CODES: Readonly<Record<string, number>> = { ...ERROR_CODES, ...KMS_ERROR_CODES, ...SECRETS_ERROR_CODES, ...HTTP_LAYER_CODES, ...AUDIT_ERROR_CODES, ...KEY_HEALTH_ERROR_CODES, ...WEBHOOK_ERROR_CODES };

export type DocumentedErrorCode =
  | keyof typeof ERROR_CODES
  | keyof typeof KMS_ERROR_CODES
  | keyof typeof SECRETS_ERROR_CODES
  | keyof typeof HTTP_LAYER_CODES
  | keyof typeof AUDIT_ERROR_CODES
  | keyof typeof KEY_HEALTH_ERROR_CODES
  | keyof typeof WEBHOOK_ERROR_CODES;

/** What every org route can answer before its handler runs (authentication, org, role). */
export const ORG_ROUTE_ERRORS: readonly DocumentedErrorCode[] = ['UNAUTHENTICATED', 'ROLE_REQUIRED', 'ORG_NOT_FOUND'];
/** What every route with a JSON body can answer before its handler runs. */
export const BODY_ERRORS: readonly DocumentedErrorCode[] = ['VALIDATION_FAILED', 'INVALID_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_ENCODING'];
/** Commands accept `Idempotency-Key`; a concurrent writer can win. */
export const COMMAND_ERRORS: readonly DocumentedErrorCode[] = ['IDEMPOTENCY_KEY_REUSED', 'CONCURRENT_CHANGE'];
/** A KMS verification or rewrap can fail in these ways (422 an admin can fix, 503 transient). */
export const KMS_ERRORS: readonly DocumentedErrorCode[] = Object.keys(KMS_ERROR_CODES) as DocumentedErrorCode[];

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'Not authenticated',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Refused by a product rule, or a concurrent change won',
  413: 'Payload too large',
  415: 'Unsupported body encoding',
  422: 'Refused (KMS verification or idempotency key reuse)',
  429: 'Too soon: try again shortly',
  503: 'KMS unavailable or throttled after retries',
};

/** The error body schema with `code` restricted to the codes this response can carry. */
export function errorSchema(codes: readonly string[]) {
  return {
    type: 'object',
    required: ['error'],
    additionalProperties: false,
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message', 'details'],
        additionalProperties: false,
        properties: {
          code: { type: 'string', enum: [...codes] },
          message: { type: 'string' },
          details: { type: 'object', additionalProperties: true },
        },
      },
    },
  };
}

/** @nestjs/swagger's metadata key for responses (its `DECORATORS.API_RESPONSE`). */
const API_RESPONSE = 'swagger/apiResponse';
/** Nest's route path metadata: marks a method as a route handler. */
const NEST_PATH = 'path';
const CODES = Symbol('cmk:error-codes');

function responseEntry(status: number, codes: readonly string[]) {
  return {
    description: `${STATUS_TEXT[status] ?? 'Error'}: ${codes.map((code) => `\`${code}\``).join(', ')}`,
    isArray: false,
    content: {
      'application/json': {
        schema: errorSchema(codes),
        examples: Object.fromEntries(codes.map((code) => [code, { value: { error: { code, message: exampleMessage(code), details: {} } } }])),
      },
    },
  };
}

/** Adds codes to a handler and rewrites its error responses from the union (one response per status). */
function addCodes(handler: object, codes: readonly string[]): void {
  const all: string[] = [...new Set([...((Reflect.getMetadata(CODES, handler) as string[] | undefined) ?? []), ...codes])];
  Reflect.defineMetadata(CODES, all, handler);
  const byStatus = new Map<number, string[]>();
  for (const code of all) {
    const status = ALL_ERROR_CODES[code];
    if (status === undefined) throw new Error(`No HTTP status known for error code ${code}`);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses = { ...((Reflect.getMetadata(API_RESPONSE, handler) as Record<string, unknown> | undefined) ?? {}) };
  for (const [status, list] of byStatus) responses[String(status)] = responseEntry(status, list);
  Reflect.defineMetadata(API_RESPONSE, responses, handler);
}

/**
 * Documents the error codes a route can answer: one response per status, its codes as an enum
 * in the schema, an example per code. On a class it applies to every route of the controller;
 * class and method codes add up (swagger's own decorators would let one replace the other).
 */
export function ApiErrors(...groups: (DocumentedErrorCode | readonly DocumentedErrorCode[])[]): MethodDecorator & ClassDecorator {
  const codes = [...new Set(groups.flat())];
  return ((target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) {
      addCodes(descriptor.value as object, codes);
      return descriptor;
    }
    const prototype = (target as { prototype: Record<string, unknown> }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (name !== 'constructor' && typeof handler === 'function' && Reflect.getMetadata(NEST_PATH, handler) !== undefined) addCodes(handler, codes);
    }
  }) as MethodDecorator & ClassDecorator;
}

type DocumentResponses = Record<string, { content?: Record<string, { schema?: { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } } }> }>;

/**
 * Adds `code` to every operation of the document except those of `except` (path templates):
 * for answers any route can give from outside its own metadata (the global rate limiter's
 * `RATE_LIMITED`), merged with the codes the route already documents for that status.
 */
export function addCodeToEveryOperation(paths: Record<string, Record<string, { responses: unknown }>>, code: DocumentedErrorCode, except: readonly string[]): void {
  const status = String(ALL_ERROR_CODES[code]);
  for (const [path, methods] of Object.entries(paths)) {
    if (except.includes(path)) continue;
    for (const operation of Object.values(methods)) {
      const responses = operation.responses as DocumentResponses;
      const existing = responses[status]?.content?.['application/json']?.schema?.properties?.error?.properties?.code?.enum ?? [];
      // The document's response object: the decorator metadata's `isArray` is not OpenAPI.
      const { isArray: _isArray, ...entry } = responseEntry(Number(status), [...new Set([...existing, code])]);
      responses[status] = entry;
    }
  }
}

function exampleMessage(code: string): string {
  return code
    .toLowerCase()
    .replace(/_/g, ' ')
    .replace(/^./, (c) => c.toUpperCase());
}
