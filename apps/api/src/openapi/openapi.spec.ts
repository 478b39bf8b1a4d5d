import { generateOpenApiDocument } from './generate';
import { toOpenApi31 } from './openapi-31';

interface Operation {
  operationId: string;
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema: { properties: { error: { properties: { code: { enum: string[] } } } } } }> }>;
}
type Doc = { paths: Record<string, Record<string, Operation>> };

const codesOf = (operation: Operation, status: number): string[] => operation.responses[String(status)]?.content?.['application/json']?.schema.properties.error.properties.code.enum ?? [];

describe('OpenAPI document (generated without starting anything)', () => {
  let doc: Doc;
  beforeAll(async () => {
    doc = (await generateOpenApiDocument()) as Doc;
  });

  it('adds class-level and route-level error codes together, by status', () => {
    const add = doc.paths['/api/orgs/{org}/customer-managed-keys'].post;
    expect(codesOf(add, 400)).toEqual(expect.arrayContaining(['VALIDATION_FAILED', 'INVALID_JSON', 'INVALID_ROLE_ARN', 'INVALID_KEY_ARN']));
    expect(codesOf(add, 401)).toEqual(['UNAUTHENTICATED']);
    expect(codesOf(add, 403)).toEqual(expect.arrayContaining(['ROLE_REQUIRED', 'EDITION_REQUIRED']));
    expect(codesOf(add, 422)).toEqual(expect.arrayContaining(['KMS_ROLE_NOT_ASSUMABLE', 'KMS_ACCESS_DENIED', 'IDEMPOTENCY_KEY_REUSED']));
    expect(codesOf(add, 404)).toEqual(['ORG_NOT_FOUND']);
    const disable = doc.paths['/api/orgs/{org}/customer-managed-keys/{keyId}/disable'].post;
    expect(codesOf(disable, 404)).toEqual(expect.arrayContaining(['ORG_NOT_FOUND', 'KEY_NOT_FOUND']));
  });

  it('documents a success response and a 401 for every org and operator route', () => {
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/orgs') && !path.startsWith('/api/admin')) continue;
      for (const [method, operation] of Object.entries(methods)) {
        const statuses = Object.keys(operation.responses);
        expect({ route: `${method} ${path}`, success: statuses.some((s) => s.startsWith('2')) }).toEqual({ route: `${method} ${path}`, success: true });
        expect({ route: `${method} ${path}`, unauthenticated: statuses.includes('401') }).toEqual({ route: `${method} ${path}`, unauthenticated: true });
      }
    }
  });

  it('documents 429 RATE_LIMITED on every route but the probes, beside a route\'s own 429 codes', () => {
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        if (!('responses' in operation) || operation.operationId.startsWith('pages_')) continue;
        const limited = codesOf(operation, 429).includes('RATE_LIMITED');
        expect({ route: `${method} ${path}`, limited }).toEqual({ route: `${method} ${path}`, limited: path !== '/healthz' && path !== '/readyz' });
      }
    }
    expect(codesOf(doc.paths['/api/orgs/{org}/customer-managed-keys/reencryption/stream'].get, 429)).toEqual(expect.arrayContaining(['RATE_LIMITED', 'STREAM_LIMIT_REACHED']));
  });

  it('names every operation uniquely (they name the generated client functions)', () => {
    const ids = Object.values(doc.paths).flatMap((methods) => Object.values(methods).map((operation) => operation.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('toOpenApi31', () => {
  it('turns nullable scalars into type unions and nullable references into anyOf with null', () => {
    const converted = toOpenApi31({
      openapi: '3.0.0',
      components: {
        schemas: {
          A: {
            properties: {
              s: { type: 'string', nullable: true },
              e: { type: 'string', enum: ['x'], nullable: true },
              r: { nullable: true, type: 'object', description: 'ref', allOf: [{ $ref: '#/components/schemas/B' }] },
              n: { type: 'number' },
            },
          },
        },
      },
    });
    expect(converted).toEqual({
      openapi: '3.1.0',
      components: {
        schemas: {
          A: {
            properties: {
              s: { type: ['string', 'null'] },
              e: { type: ['string', 'null'], enum: ['x', null] },
              r: { description: 'ref', anyOf: [{ allOf: [{ $ref: '#/components/schemas/B' }] }, { type: 'null' }] },
              n: { type: 'number' },
            },
          },
        },
      },
    });
  });
});
