import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

interface ResponseObject {
  readonly content?: Record<string, { schema?: object }>;
}
interface Operation {
  readonly responses: Record<string, ResponseObject>;
}
export interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { schemas: Record<string, object> };
}

/** One real exchange, as the contract test saw it. */
export interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly contentType: string | null;
  readonly body: unknown;
}

/**
 * Checks real responses against the document: the route and status must be documented, the
 * content type must be one it declares, and a JSON body must validate (ajv, JSON Schema 2020-12,
 * the dialect of OpenAPI 3.1) against its schema. Records which operations were exercised.
 */
export class ContractChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly routes: { template: string; pattern: RegExp }[];
  readonly exercised = new Set<string>();

  constructor(readonly document: OpenApiDocument) {
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: 'https://cmk.invalid/openapi.json', components: document.components });
    // Literal segments first so `/reencryption` wins over `/{keyId}`.
    this.routes = Object.keys(document.paths)
      .map((template) => ({ template, pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`) }))
      .sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
  }

  /** The problems with one exchange (empty when it matches the document). */
  check(exchange: Exchange): string[] {
    const path = exchange.path.split('?')[0];
    const route = this.routes.find((r) => r.pattern.test(path));
    const method = exchange.method.toLowerCase();
    const operation = route ? this.document.paths[route.template][method] : undefined;
    const where = `${exchange.method} ${path} → ${exchange.status}`;
    if (!route || !operation) return [`${where}: route not in the document`];
    this.exercised.add(`${method} ${route.template}`);
    const response = operation.responses[String(exchange.status)];
    if (!response) return [`${where}: status not documented (documented: ${Object.keys(operation.responses).join(', ')})`];
    const declared = Object.keys(response.content ?? {});
    const type = (exchange.contentType ?? '').split(';')[0].trim();
    if (declared.length === 0) return [];
    if (!declared.includes(type)) return [`${where}: content type ${type} not among ${declared.join(', ')}`];
    if (type !== 'application/json') return [];
    const validate = this.validator(`${method} ${route.template} ${exchange.status}`, response.content?.[type]?.schema ?? {});
    return validate(exchange.body) ? [] : [`${where}: ${this.ajv.errorsText(validate.errors)} in ${JSON.stringify(exchange.body).slice(0, 300)}`];
  }

  /** Operations of the document no exchange exercised. */
  unexercised(): string[] {
    const all = Object.entries(this.document.paths).flatMap(([template, methods]) => Object.keys(methods).map((method) => `${method} ${template}`));
    return all.filter((operation) => !this.exercised.has(operation));
  }

  private validator(key: string, schema: object): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      const rooted = JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"https://cmk.invalid/openapi.json#/components/')) as object;
      validate = this.ajv.compile(rooted);
      this.validators.set(key, validate);
    }
    return validate;
  }
}
