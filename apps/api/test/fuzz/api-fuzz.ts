import { validateHeaderValue } from 'node:http';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { sendRaw, type RawReply, type RawRequest } from './http-request';

/**
 * A property-based fuzzer for the api: every operation of the served OpenAPI document (so a new
 * route is fuzzed without touching this file), with arbitrary path parameters, duplicated and
 * unknown query parameters, arbitrary JSON and non-JSON bodies (deep, huge, invalid UTF-8, odd
 * content types and encodings) and arbitrary headers, under every kind of credential. The
 * property: never a 5xx, every error in the documented shape `{ error: { code, message,
 * details } }`, and no stack trace, token or secret in any answer.
 */

export type Credential = 'admin' | 'member' | 'auditor' | 'operator' | 'other-org' | 'revoked' | 'forged' | 'garbage' | 'none';
export const CREDENTIALS: readonly Credential[] = ['admin', 'member', 'auditor', 'operator', 'other-org', 'revoked', 'forged', 'garbage', 'none'];

/** One operation of the OpenAPI document. */
export interface FuzzRoute {
  readonly method: string;
  /** `/api/orgs/{org}/customer-managed-keys/{keyId}/set-default` */
  readonly template: string;
  readonly pathParams: readonly string[];
  readonly queryParams: readonly string[];
  /** Top-level property names of the JSON request body, when there is one. */
  readonly bodyFields: readonly string[] | undefined;
}

/** What the fuzzer knows of the stack it runs against. */
export interface FuzzTarget {
  readonly baseUrl: string;
  /** The org the credentials belong to. */
  readonly org: string;
  readonly tokens: Readonly<Record<Exclude<Credential, 'none' | 'garbage'>, string>>;
  /** Values the fuzzer may use for a path parameter, by name (`keyId`, `tokenId`, ...). */
  readonly knownIds: Readonly<Record<string, readonly string[]>>;
  /** Strings the fuzzer may put in bodies (another org's ciphertexts, ...). */
  readonly bodyStrings: readonly string[];
  /** Strings that must never appear in an answer (tokens, plaintexts, wrapped keys, ...). */
  readonly secrets: readonly string[];
}

export interface Finding {
  readonly route: string;
  readonly request: string;
  readonly status: number;
  readonly problem: string;
  readonly body: string;
}

export interface FuzzFigures {
  readonly runs: number;
  readonly routes: number;
  readonly durationMs: number;
  readonly seed: number;
  readonly statuses: Record<string, number>;
  readonly requestsByRoute: Record<string, number>;
  readonly findings: Finding[];
}

interface OpenApiDocument {
  readonly paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; requestBody?: { content?: Record<string, { schema?: { $ref?: string; properties?: Record<string, unknown> } }> } }>>;
  readonly components?: { schemas?: Record<string, { properties?: Record<string, unknown> }> };
}

/** Every operation of the document, in a stable order. */
export function routesFromOpenApi(document: OpenApiDocument): FuzzRoute[] {
  const routes: FuzzRoute[] = [];
  for (const [template, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const parameters = operation.parameters ?? [];
      const schema = operation.requestBody?.content?.['application/json']?.schema;
      const resolved = schema?.$ref ? document.components?.schemas?.[schema.$ref.split('/').pop() ?? ''] : schema;
      routes.push({
        method: method.toUpperCase(),
        template,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: parameters.filter((p) => p.in === 'query').map((p) => p.name),
        bodyFields: operation.requestBody ? Object.keys(resolved?.properties ?? {}) : undefined,
      });
    }
  }
  return routes;
}

// ---- arbitraries ---------------------------------------------------------------------------

const weirdText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', ' ', '__proto__', 'constructor', 'prototype', '..', '../..', 'null', 'undefined', 'NaN', '-1', '0', '1e999', 'true', '[]', '{}', 'A'.repeat(400), '\u0000', '\ud800', '\u202e', 'platform'),
);

/** Percent-encodes the UTF-8 bytes of `s` (lone surrogates become U+FFFD, as on the wire). */
const percentEncode = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

/** A path segment: a known id, the org, or anything (percent-encoded, or raw invalid escapes). */
function pathSegment(name: string, target: FuzzTarget): fc.Arbitrary<string> {
  const known = name === 'org' ? [target.org] : [...(target.knownIds[name] ?? [])];
  return fc.oneof(
    { weight: 4, arbitrary: known.length > 0 ? fc.constantFrom(...known) : fc.constant('none') },
    { weight: 3, arbitrary: weirdText.map((s) => percentEncode(s) || '%20') },
    { weight: 1, arbitrary: fc.constantFrom('%ZZ', '%', '%C3%28', '%FF%FE', '%00', '%2F..%2F', '%E2%80%AE', '%25', '%0d%0aX-Injected:%201') },
  );
}

const queryValue = fc.oneof(
  weirdText.map(percentEncode),
  fc.constantFrom('2026-11-30T12:00:00Z', '0', '-5', '1000000', '1.5', 'true', '%ZZ', '%C3%28', 'a%00b', '9'.repeat(40), 'key.health_changed'),
);

/** Documented query parameters (each 0, 1 or 2 times: duplicates too) plus unknown ones. */
function queryString(route: FuzzRoute): fc.Arbitrary<string> {
  const names = [...route.queryParams, 'unknown', '__proto__', 'at', 'limit', 'ticket'];
  return fc.array(fc.tuple(fc.constantFrom(...names), queryValue), { maxLength: 6 }).map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));
}

const json = fc.jsonValue({ maxDepth: 4 });

/** A JSON object with the route's own fields (arbitrary values) and some others. */
function routeObject(route: FuzzRoute, target: FuzzTarget): fc.Arbitrary<Record<string, unknown>> {
  const fieldValue = fc.oneof(json, weirdText, fc.constantFrom(...target.bodyStrings, 'aws_kms', 'platform', 'admin', 'member', 'auditor', 'enterprise', 'free'), fc.array(fc.oneof(weirdText, fc.constantFrom(...target.bodyStrings)), { maxLength: 5 }));
  const fields = [...(route.bodyFields ?? []), 'scope', 'values', 'ciphertexts', '__proto__', 'constructor'];
  return fc.dictionary(fc.oneof(fc.constantFrom(...fields), fc.string({ maxLength: 12 })), fieldValue, { maxKeys: 8 });
}

interface Body {
  readonly label: string;
  readonly bytes: Buffer;
}

function body(route: FuzzRoute, target: FuzzTarget): fc.Arbitrary<Body | undefined> {
  const text = (label: string) => (value: string) => ({ label, bytes: Buffer.from(value, 'utf8') });
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 6, arbitrary: routeObject(route, target).map((o) => text('object')(JSON.stringify(o))) },
    { weight: 2, arbitrary: json.map((v) => text('json')(JSON.stringify(v))) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map(text('text')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 80 }).map((b) => ({ label: 'bytes', bytes: Buffer.concat([Buffer.from('{"values":["'), Buffer.from(b), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"]}')]) })) },
    { weight: 1, arbitrary: fc.integer({ min: 50, max: 200_000 }).map((depth) => text(`deep ${depth}`)(`{"values":${'['.repeat(depth)}${']'.repeat(depth)}}`)) },
    { weight: 1, arbitrary: fc.integer({ min: 50, max: 50_000 }).map((depth) => text(`nested ${depth}`)('{"a":'.repeat(depth) + '1' + '}'.repeat(depth))) },
    { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 3_000_000 }).map((size) => text(`huge ${size}`)(JSON.stringify({ scope: 's', values: ['x'.repeat(size)] }))) },
    { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 30_000 }).map((keys) => text(`wide ${keys}`)(`{${Array.from({ length: keys }, (_, i) => `"k${i}":${i}`).join(',')}}`)) },
  );
}

const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 300 }).filter((value) => {
  try {
    validateHeaderValue('x', value);
    return true;
  } catch {
    return false;
  }
});

const contentType = fc.option(
  fc.oneof(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=UTF-16',
      'application/json; charset=latin1',
      'application/json; charset=x-klingon',
      'application/merge-patch+json',
      'application/vnd.api+json',
      'text/plain',
      'text/html',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=xyz',
      'multipart/form-data',
      'application/octet-stream',
      'application/xml',
      '*/*',
      'application/json; boundary=',
      'APPLICATION/JSON',
    ),
    headerText,
  ),
  { nil: undefined, freq: 5 },
);

const contentEncoding = fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'gzip, gzip', 'x-compress-9000', 'GZIP') });

const extraHeaders = fc
  .tuple(
    fc.dictionary(
      fc.constantFrom('idempotency-key', 'x-request-id', 'accept', 'accept-encoding', 'accept-charset', 'if-match', 'if-none-match', 'last-event-id', 'origin', 'x-forwarded-for', 'forwarded', 'cookie', 'x-http-method-override', 'range', 'x-custom'),
      headerText,
      { maxKeys: 4 },
    ),
    // Rarely: an `Expect` Node does not know (it answers those before the app).
    fc.oneof({ weight: 29, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: headerText }),
  )
  .map(([headers, expectation]) => (expectation === undefined ? headers : { ...headers, expect: expectation }));

export interface FuzzRequest {
  readonly route: FuzzRoute;
  readonly credential: Credential;
  readonly authorization: string | undefined;
  readonly raw: RawRequest;
  readonly bodyLabel: string;
}

function authorization(credential: Credential, target: FuzzTarget, garbage: string): string | undefined {
  if (credential === 'none') return undefined;
  if (credential === 'garbage') return garbage;
  return `Bearer ${target.tokens[credential]}`;
}

/** One request to one route: the route, credential, path, query, headers and body all arbitrary. */
export function fuzzRequest(routes: readonly FuzzRoute[], target: FuzzTarget): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom(...routes).chain((route) =>
    fc
      .record({
        // The rightful credentials more often, so requests get past authentication to validation.
        credential: fc.oneof({ weight: 3, arbitrary: fc.constantFrom<Credential>('admin', 'member', 'auditor', 'operator') }, { weight: 2, arbitrary: fc.constantFrom(...CREDENTIALS) }),
        garbage: fc.oneof(headerText, fc.constantFrom('Bearer', 'Bearer ', 'Basic Og==', `Bearer cmk.${target.org}.x.y`, 'bearer  x', `Bearer ${'A'.repeat(5000)}`)),
        segments: fc.tuple(...route.pathParams.map((name) => pathSegment(name, target))),
        query: queryString(route),
        body: body(route, target),
        contentType,
        contentEncoding,
        headers: extraHeaders,
      })
      .map(({ credential, garbage, segments, query, body: chosen, contentType: type, contentEncoding: encoding, headers }) => {
        let path = route.template;
        route.pathParams.forEach((name, i) => (path = path.replace(`{${name}}`, segments[i] ?? '')));
        const auth = authorization(credential, target, garbage);
        let bytes = chosen?.bytes;
        if (bytes && encoding?.toLowerCase() === 'gzip') bytes = gzipSync(bytes);
        const all: Record<string, string> = { ...headers };
        if (auth !== undefined) all['authorization'] = auth;
        if (type !== undefined && bytes !== undefined) all['content-type'] = type;
        if (encoding !== undefined && bytes !== undefined) all['content-encoding'] = encoding;
        return { route, credential, authorization: auth, bodyLabel: chosen?.label ?? 'none', raw: { method: route.method, path: `${path}${query}`, headers: all, body: bytes } };
      }),
  );
}

// ---- the property ----------------------------------------------------------------------------

const STACK_PATTERNS = [/\n\s+at\s/, /node_modules/, /\/dist\//, /\.(js|ts):\d+:\d+/, /"stack"/, /\bat [A-Za-z_$.]+ \(/];
/** Answers that are not the api's JSON: the console's page, the API reference, the queue dashboard. */
const NOT_JSON_ROUTES = new Set(['/console', '/api/docs', '/admin/queues']);

/** What is wrong with one answer (empty: nothing). */
export function problemsOf(request: FuzzRequest, reply: RawReply, target: FuzzTarget): string[] {
  const problems: string[] = [];
  if (reply.status >= 500) problems.push(`server error ${reply.status}`);
  if (reply.status >= 400 && !NOT_JSON_ROUTES.has(request.route.template)) {
    if (!reply.contentType.startsWith('application/json')) problems.push(`error answered as ${reply.contentType || 'no content type'}`);
    else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(reply.text);
      } catch {
        problems.push('error body is not JSON');
      }
      const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
      const shaped = typeof error?.code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(error.code) && typeof error.message === 'string' && typeof error.details === 'object' && error.details !== null && !Array.isArray(error.details);
      if (parsed !== undefined && !shaped) problems.push('error body not { error: { code, message, details } }');
    }
  }
  for (const pattern of STACK_PATTERNS) if (pattern.test(reply.text)) problems.push(`stack or internal path (${String(pattern)})`);
  const sentSecrets = [...target.secrets, ...(request.authorization && request.authorization.length >= 24 ? [request.authorization.replace(/^Bearer /, '')] : [])];
  for (const secret of sentSecrets) if (secret.length >= 12 && reply.text.includes(secret)) problems.push(`answer shows a secret (${secret.slice(0, 6)}…)`);
  return problems;
}

const describe = (request: FuzzRequest) => {
  const headers = Object.entries(request.raw.headers)
    .filter(([k]) => k !== 'authorization')
    .map(([k, v]) => `${k}: ${String(v).slice(0, 60)}`)
    .join('; ');
  return `${request.raw.method} ${request.raw.path.slice(0, 200)} as ${request.credential} [${headers}] body=${request.bodyLabel}${request.raw.body ? ` (${request.raw.body.length} bytes)` : ''}`;
};

/**
 * Runs `runs` arbitrary requests against `target` and returns the figures; findings are
 * collected (never thrown) so a long run reports all it found. Reproduce a run with its `seed`.
 */
export async function fuzzApi(options: { target: FuzzTarget; routes: readonly FuzzRoute[]; runs: number; seed?: number; onProgress?: (done: number) => void }): Promise<FuzzFigures> {
  const { target, routes, runs } = options;
  const seed = options.seed ?? Date.now() % 2 ** 31;
  const statuses: Record<string, number> = {};
  const requestsByRoute: Record<string, number> = {};
  const findings: Finding[] = [];
  const started = Date.now();
  let done = 0;
  await fc.assert(
    fc.asyncProperty(fuzzRequest(routes, target), async (request) => {
      const route = `${request.route.method} ${request.route.template}`;
      requestsByRoute[route] = (requestsByRoute[route] ?? 0) + 1;
      let reply: RawReply;
      try {
        reply = await sendRaw(target.baseUrl, request.raw);
      } catch (error) {
        const code = (error as { code?: string }).code;
        // The api may answer (413) and close before a huge body is written: not a fault.
        if ((code === 'EPIPE' || code === 'ECONNRESET') && (request.raw.body?.length ?? 0) > 512 * 1024) return true;
        findings.push({ route, request: describe(request), status: 0, problem: `no answer: ${error instanceof Error ? error.message : String(error)}`, body: '' });
        return true;
      }
      statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
      const problems = problemsOf(request, reply, target);
      if (problems.length > 0) findings.push({ route, request: describe(request), status: reply.status, problem: problems.join('; '), body: reply.text.slice(0, 500) });
      options.onProgress?.(++done);
      return true;
    }),
    { numRuns: runs, seed, endOnFailure: true },
  );
  return { runs, routes: routes.length, durationMs: Date.now() - started, seed, statuses, requestsByRoute, findings };
}

/** The secrets that must never show in the api's own output either. */
export function leakedInto(output: string, secrets: readonly string[]): string[] {
  return secrets.filter((secret) => secret.length >= 12 && output.includes(secret)).map((secret) => `${secret.slice(0, 6)}…`);
}
