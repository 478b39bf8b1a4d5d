/**
 * @nestjs/swagger writes OpenAPI 3.0, where `nullable: true` beside `allOf: [{$ref}]` is
 * ambiguous (3.0.3 says it does not admit null; tools disagree). We publish 3.1 instead, whose
 * schemas are plain JSON Schema 2020-12: a nullable property becomes `type: [T, 'null']`, or
 * `anyOf: [<schema>, {type: 'null'}]` when it refers to another schema. Validators (ajv) and
 * the client generator then agree on what `null` means.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function convert(node: Json): Json {
  if (Array.isArray(node)) return node.map(convert);
  if (node === null || typeof node !== 'object') return node;
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(node)) out[key] = convert(value);
  if (out['nullable'] !== true) return out;
  delete out['nullable'];
  if (out['allOf'] !== undefined || out['$ref'] !== undefined || out['oneOf'] !== undefined) {
    const { description, ...schema } = out;
    delete schema['type'];
    return { ...(description !== undefined ? { description } : {}), anyOf: [schema, { type: 'null' }] };
  }
  if (typeof out['type'] === 'string') out['type'] = [out['type'], 'null'];
  if (Array.isArray(out['enum']) && !out['enum'].includes(null)) out['enum'] = [...out['enum'], null];
  return out;
}

export function toOpenApi31<T extends object>(document: T): T {
  const converted = convert(document as unknown as Json) as { [key: string]: Json };
  return { ...converted, openapi: '3.1.0' } as unknown as T;
}
