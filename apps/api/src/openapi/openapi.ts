import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { toOpenApi31 } from './openapi-31';
import { addCodeToEveryOperation } from './error-responses';

/** Where the document and the interactive reference are served (same origin as the api). */
export const OPENAPI_JSON_PATH = '/api/openapi.json';
export const OPENAPI_DOCS_PATH = '/api/docs';

/**
 * The OpenAPI 3.1 document of the api, generated from the controllers' decorators and DTO classes:
 * the single source of the typed client (`libs/api-client`) and of the contract tests.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Customer Managed Keys API')
    .setDescription(
      [
        'Org admins manage the keys that wrap their data keys; members encrypt and decrypt secrets; the operator registers organisations and issues tokens.',
        '',
        'Every error is `{"error":{"code","message","details"}}` with a stable `code`; each route lists the codes it can answer.',
        'Commands accept an `Idempotency-Key` header: a retry with the same key returns the first result.',
      ].join('\n'),
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An org access token (`cmk.<org>.<id>.<secret>`) or the operator token' })
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  // Every route but the probes counts against a request budget (the global rate limiter).
  addCodeToEveryOperation(document.paths as never, 'RATE_LIMITED', UNLIMITED_PATHS);
  return toOpenApi31({ ...document, paths: { ...document.paths, ...PAGES } });
}

/** Routes the rate limiter skips: liveness and readiness probes must never be refused. */
const UNLIMITED_PATHS = ['/healthz', '/readyz'];

const html = (operationId: string, summary: string, description: string) => ({
  get: { tags: ['pages'], operationId, summary, description, responses: { '200': { description: 'An HTML page', content: { 'text/html': { schema: { type: 'string' } } } } } },
});

/** Pages mounted on the HTTP server beside Nest's routes (so absent from its metadata). */
const PAGES = {
  '/console': html('pages_console', 'The admin console', 'Static files; sign in with an access token (kept in session storage).'),
  '/admin/queues': html('pages_queues', 'The BullMQ dashboard', 'Operator only: `Bearer <CMK_OPERATOR_TOKEN>`, or HTTP Basic with the token as the password.'),
  [OPENAPI_DOCS_PATH]: html('pages_docs', 'This reference, interactive', 'Swagger UI over `/api/openapi.json`.'),
};

/** Serves `/api/openapi.json` and the Swagger UI at `/api/docs`. */
export function setupOpenApi(app: INestApplication): OpenAPIObject {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup(OPENAPI_DOCS_PATH.slice(1), app, document, {
    jsonDocumentUrl: OPENAPI_JSON_PATH.slice(1),
    yamlDocumentUrl: 'api/openapi.yaml',
    customSiteTitle: 'Customer Managed Keys API',
    swaggerOptions: { persistAuthorization: false },
  });
  return document;
}
