import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ERROR_CODES } from '@cmk/domain';
import { KMS_ERROR_CODES } from '@cmk/key-providers';
import { SECRETS_ERROR_CODES } from '@cmk/secrets';

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
} as const;

export const ALL_ERROR_CODES: Readonly<Record<string, number>> = { ...ERROR_CODES, ...KMS_ERROR_CODES, ...SECRETS_ERROR_CODES, ...HTTP_LAYER_CODES };

export type DocumentedErrorCode = keyof typeof ERROR_CODES | keyof typeof KMS_ERROR_CODES | keyof typeof SECRETS_ERROR_CODES | keyof typeof HTTP_LAYER_CODES;

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

/**
 * Documents the error responses of a route: one response per status, listing its codes, with
 * an example per code. Duplicates are ignored, so routes can combine the shared lists.
 */
export function ApiErrors(...groups: (DocumentedErrorCode | readonly DocumentedErrorCode[])[]): MethodDecorator & ClassDecorator {
  const codes = [...new Set(groups.flat())];
  const byStatus = new Map<number, string[]>();
  for (const code of codes) {
    const status = ALL_ERROR_CODES[code];
    if (status === undefined) throw new Error(`No HTTP status known for error code ${code}`);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const decorators = [...byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, list]) =>
      ApiResponse({
        status,
        description: `${STATUS_TEXT[status] ?? 'Error'}: ${list.map((code) => `\`${code}\``).join(', ')}`,
        content: {
          'application/json': {
            schema: errorSchema(list),
            examples: Object.fromEntries(list.map((code) => [code, { value: { error: { code, message: exampleMessage(code), details: {} } } }])),
          },
        },
      }),
    );
  return applyDecorators(...decorators);
}

function exampleMessage(code: string): string {
  return code
    .toLowerCase()
    .replace(/_/g, ' ')
    .replace(/^./, (c) => c.toUpperCase());
}
