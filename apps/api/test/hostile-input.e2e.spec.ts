import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { E2eEnvironment } from './e2e-environment';

/**
 * A battery of hostile requests against every route: bad credentials, other tenants, odd path
 * parameters, malformed and oversized bodies, wrong content types and encodings, hostile
 * headers. Whatever comes back must be a 4xx in the documented error shape, without stacks or
 * internal paths, and the api's own output must never show a token or a secret value.
 */

interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

/**
 * Raw HTTP (fetch refuses some of the headers and bodies we need). Event streams are cut after
 * the headers. A body is sent chunked unless `Content-Length` is among the headers.
 */
function send(base: string, method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers, timeout: 15_000 }, (res) => {
      const contentType = String(res.headers['content-type'] ?? '');
      if (contentType.startsWith('text/event-stream')) {
        res.destroy();
        resolve({ status: res.statusCode ?? 0, contentType, text: '' });
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const JSON_TYPE = { 'content-type': 'application/json' };
const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const wide = '{' + Array.from({ length: 20_000 }, (_, i) => `"k${i}":${i}`).join(',') + '}';

/** [name, headers, body]: sent to every POST route with the route's rightful credentials. */
const HOSTILE_BODIES: [string, Record<string, string>, (Buffer | string)?][] = [
  ['truncated JSON', JSON_TYPE, '{"name":"x","values":'],
  ['not JSON', JSON_TYPE, 'hello there'],
  ['null', JSON_TYPE, 'null'],
  ['a string', JSON_TYPE, '"values"'],
  ['a number', JSON_TYPE, '12e999'],
  ['an array', JSON_TYPE, '[{"scope":"s","values":["a"],"login":"x","edition":"free"}]'],
  ['deep nesting', JSON_TYPE, `{"scope":"s","values":["a"],"name":"n","extra":${nested(100_000)}}`],
  ['deep arrays', JSON_TYPE, `{"awsKms":${'['.repeat(300_000)}${']'.repeat(300_000)}}`],
  ['a wide object', JSON_TYPE, wide],
  ['__proto__ keys', JSON_TYPE, '{"__proto__":{"role":"admin","isAdmin":true},"scope":"s","values":["a"],"awsKms":{"__proto__":{"roleArn":"x"}}}'],
  ['constructor.prototype', JSON_TYPE, '{"constructor":{"prototype":{"polluted":true}},"destID":"platform"}'],
  ['wrong types', JSON_TYPE, '{"scope":["s"],"values":"a","ciphertexts":{"0":"x"},"name":7,"type":"aws_kms","awsKms":[],"destID":{},"login":null,"edition":[],"user":1,"role":true}'],
  ['unicode and lone surrogates', JSON_TYPE, '{"scope":"\\u0000\\ud800","values":["\\udfff","\u202e\u0000"],"name":"\\ud83d","login":"\u00e9","user":"\u202e","destID":"\\u0000"}'],
  ['a 3 MB body', JSON_TYPE, `{"values":["${'x'.repeat(3_000_000)}"]}`],
  ['text/plain', { 'content-type': 'text/plain' }, '{"scope":"s","values":["a"]}'],
  ['form encoded', { 'content-type': 'application/x-www-form-urlencoded' }, 'scope=s&values=a&__proto__[x]=1'],
  ['multipart', { 'content-type': 'multipart/form-data; boundary=xyz' }, '--xyz\r\nContent-Disposition: form-data; name="scope"\r\n\r\ns\r\n--xyz--'],
  ['utf-16 charset', { 'content-type': 'application/json; charset=utf-16' }, Buffer.from('{"scope":"s"}', 'utf16le')],
  ['unknown charset', { 'content-type': 'application/json; charset=x-klingon' }, '{}'],
  ['garbage gzip', { ...JSON_TYPE, 'content-encoding': 'gzip' }, 'not gzip at all'],
  ['gzip bomb', { ...JSON_TYPE, 'content-encoding': 'gzip' }, gzipSync(Buffer.alloc(40_000_000, 0x20))],
  ['unknown encoding', { ...JSON_TYPE, 'content-encoding': 'x-compress-9000' }, '{}'],
  ['hostile Idempotency-Key', { ...JSON_TYPE, 'idempotency-key': `../${'k'.repeat(300)}\u00ff` }, '{}'],
  ['hostile X-Request-Id', { ...JSON_TYPE, 'x-request-id': `<script>${'r'.repeat(4_000)}\u00e9`, 'x-correlation-id': '\u00ff'.repeat(100) }, '{"scope":"s"}'],
];

/** Path parameters that are not org logins, key ids or token ids. */
const HOSTILE_PARAMS = ['%ZZ', '..%2F..%2Fetc', '__proto__', 'constructor', 'A'.repeat(400), '%00', '%E2%80%AE', '%C3%BC', 'ha%0d%0aX-Injected:%201', '%25'];

describe('hostile input on every route (api process)', () => {
  let env: E2eEnvironment;
  const tokens: string[] = [];
  const secretValue = `hostile-secret-${randomBytes(12).toString('hex')}`;
  let adminA: string;
  let memberA: string;
  let adminB: string;
  let revoked: string;
  let keyId: string;
  let spareTokenId: string;
  let ciphertextA: string;
  const replies: { label: string; reply: Reply }[] = [];

  const issue = async (org: string, role: 'admin' | 'member') => {
    const reply = await send(env.baseUrl, 'POST', `/api/admin/orgs/${org}/tokens`, { ...JSON_TYPE, authorization: `Bearer ${env.operatorToken}` }, JSON.stringify({ user: `${role}-u`, role }));
    const body = JSON.parse(reply.text) as { token: string; tokenId: string };
    tokens.push(body.token);
    return body;
  };

  beforeAll(async () => {
    env = await E2eEnvironment.start();
    for (const login of ['ha', 'hb']) await env.operator().post('/api/admin/orgs', { login, edition: 'enterprise' });
    adminA = (await issue('ha', 'admin')).token;
    memberA = (await issue('ha', 'member')).token;
    adminB = (await issue('hb', 'admin')).token;
    spareTokenId = (await issue('ha', 'member')).tokenId;
    const gone = await issue('ha', 'admin');
    revoked = gone.token;
    await env.operator().post(`/api/admin/orgs/ha/tokens/${gone.tokenId}/revoke`);
    const key = env.demoKey('ha');
    const added = await env.anonymous().withToken(adminA).post<{ key: { id: string } }>('/api/orgs/ha/customer-managed-keys', { name: 'Prod', type: 'aws_kms', awsKms: { roleArn: key.roleArn, keyArn: key.keyArn } }, { 'idempotency-key': 'setup-add' });
    expect(added.status).toBe(201);
    keyId = added.body.key.id;
    const encrypted = await env.anonymous().withToken(memberA).post<{ ciphertexts: string[] }>('/api/orgs/ha/secrets/encrypt', { scope: 'prod', values: [secretValue] });
    ciphertextA = encrypted.body.ciphertexts[0];
  }, 120_000);

  afterAll(async () => {
    await env?.stop();
  });

  type Route = { method: 'GET' | 'POST'; path: (org: string, id: string) => string; who: 'operator' | 'admin' | 'member' | 'public'; id: () => string };
  const routes: Route[] = [
    { method: 'POST', path: () => '/api/admin/orgs', who: 'operator', id: () => '' },
    { method: 'POST', path: (o) => `/api/admin/orgs/${o}/edition`, who: 'operator', id: () => '' },
    { method: 'POST', path: (o) => `/api/admin/orgs/${o}/tokens`, who: 'operator', id: () => '' },
    { method: 'POST', path: (o, t) => `/api/admin/orgs/${o}/tokens/${t}/revoke`, who: 'operator', id: () => spareTokenId },
    { method: 'GET', path: (o) => `/api/orgs/${o}/customer-managed-keys`, who: 'admin', id: () => '' },
    { method: 'POST', path: (o) => `/api/orgs/${o}/customer-managed-keys`, who: 'admin', id: () => '' },
    { method: 'POST', path: (o, k) => `/api/orgs/${o}/customer-managed-keys/${k}/set-default`, who: 'admin', id: () => keyId },
    { method: 'POST', path: (o, k) => `/api/orgs/${o}/customer-managed-keys/${k}/disable`, who: 'admin', id: () => keyId },
    { method: 'POST', path: (o) => `/api/orgs/${o}/customer-managed-keys/disable-all`, who: 'admin', id: () => '' },
    { method: 'GET', path: (o) => `/api/orgs/${o}/customer-managed-keys/reencryption`, who: 'admin', id: () => '' },
    { method: 'GET', path: (o) => `/api/orgs/${o}/customer-managed-keys/reencryption/events`, who: 'admin', id: () => '' },
    { method: 'POST', path: (o) => `/api/orgs/${o}/customer-managed-keys/reencryption/retry`, who: 'admin', id: () => '' },
    { method: 'POST', path: (o) => `/api/orgs/${o}/secrets/encrypt`, who: 'member', id: () => '' },
    { method: 'POST', path: (o) => `/api/orgs/${o}/secrets/decrypt`, who: 'member', id: () => '' },
    { method: 'GET', path: (o) => `/api/orgs/${o}/data-keys/summary`, who: 'admin', id: () => '' },
    { method: 'GET', path: () => '/oidc/.well-known/openid-configuration', who: 'public', id: () => '' },
    { method: 'GET', path: () => '/oidc/.well-known/jwks', who: 'public', id: () => '' },
    { method: 'GET', path: () => '/healthz', who: 'public', id: () => '' },
    { method: 'GET', path: () => '/metrics', who: 'operator', id: () => '' },
    { method: 'GET', path: () => '/admin/queues', who: 'operator', id: () => '' },
    { method: 'GET', path: (o) => `/api/orgs/${o}/session`, who: 'member', id: () => '' },
    { method: 'GET', path: (o) => `/api/orgs/${o}/customer-managed-keys/aws-setup`, who: 'admin', id: () => '' },
    { method: 'POST', path: (o) => `/api/orgs/${o}/customer-managed-keys/reencryption/stream-tickets`, who: 'admin', id: () => '' },
    { method: 'GET', path: (o, t) => `/api/orgs/${o}/customer-managed-keys/reencryption/stream?ticket=${encodeURIComponent(t)}`, who: 'public', id: () => 'forged' },
    { method: 'POST', path: (o, k) => `/api/orgs/${o}/customer-managed-keys/${k}/check`, who: 'admin', id: () => keyId },
    { method: 'POST', path: (o) => `/api/orgs/${o}/webhooks`, who: 'admin', id: () => '' },
    { method: 'GET', path: (o) => `/api/orgs/${o}/webhooks`, who: 'admin', id: () => '' },
    { method: 'GET', path: (o, w) => `/api/orgs/${o}/webhooks/${w}/deliveries`, who: 'admin', id: () => 'wh-none' },
  ];
  const rightful = (route: Route) =>
    route.who === 'operator' ? env.operatorToken : route.who === 'admin' ? adminA : route.who === 'member' ? memberA : undefined;
  const auth = (token: string | undefined): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

  async function hit(label: string, method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<Reply> {
    const reply = await send(env.baseUrl, method, path, headers, body);
    replies.push({ label: `${label}: ${method} ${path.slice(0, 120)}`, reply });
    return reply;
  }

  function expectWellFormedRefusal(label: string, reply: Reply): void {
    const context = `${label} -> ${reply.status} ${reply.text.slice(0, 300)}`;
    expect({ context, serverError: reply.status >= 500 }).toEqual({ context, serverError: false });
    if (reply.status < 400) return;
    expect({ context, json: reply.contentType.startsWith('application/json') }).toEqual({ context, json: true });
    const body = JSON.parse(reply.text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    expect(typeof body.error?.code).toBe('string');
    expect(typeof body.error?.message).toBe('string');
    expect(typeof body.error?.details === 'object' && body.error.details !== null && !Array.isArray(body.error.details)).toBe(true);
  }

  it('refuses bad credentials and other tenants on every protected route with 401/403/404', async () => {
    const garbage = ['', 'garbage', `cmk.ha.${'0'.repeat(32)}.${'A'.repeat(43)}`, `${adminA}x`, revoked, 'Basic Og=='];
    for (const route of routes.filter((r) => r.who !== 'public')) {
      const path = route.path('ha', route.id());
      for (const credential of garbage) {
        const headers = credential.startsWith('Basic') ? { authorization: credential } : auth(credential);
        const reply = await hit('bad credential', route.method, path, { ...headers, ...JSON_TYPE }, route.method === 'POST' ? '{}' : undefined);
        expect({ path, credential: credential.slice(0, 12), status: reply.status }).toEqual({ path, credential: credential.slice(0, 12), status: 401 });
      }
      const wrongKind = route.who === 'operator' ? adminA : env.operatorToken;
      expect((await hit('wrong kind of token', route.method, path, auth(wrongKind), route.method === 'POST' ? '{}' : undefined)).status).toBe(401);
      if (route.who === 'admin') {
        const member = await hit('member on admin route', route.method, path, { ...auth(memberA), ...JSON_TYPE }, route.method === 'POST' ? '{}' : undefined);
        expect({ path, status: member.status }).toEqual({ path, status: 403 });
      }
      if (path.startsWith('/api/orgs/ha/')) {
        const other = await hit('other org', route.method, path, { ...auth(adminB), ...JSON_TYPE }, route.method === 'POST' ? '{}' : undefined);
        expect({ path, status: other.status, code: (JSON.parse(other.text) as { error: { code: string } }).error.code }).toEqual({ path, status: 404, code: 'ORG_NOT_FOUND' });
      }
    }
  });

  it('answers hostile path parameters with 4xx', async () => {
    for (const route of routes.filter((r) => r.path('ORG', 'ID') !== r.path('x', 'y'))) {
      for (const param of HOSTILE_PARAMS) {
        const paths = [route.path(param, route.id()), ...(route.id() ? [route.path('ha', param)] : [])];
        for (const path of paths) {
          const reply = await hit('hostile param', route.method, path, { ...auth(rightful(route)), ...JSON_TYPE }, route.method === 'POST' ? '{"destID":"platform","edition":"free","user":"u","role":"member"}' : undefined);
          expectWellFormedRefusal(`${route.method} ${path}`, reply);
          expect(reply.status).toBeGreaterThanOrEqual(400);
        }
      }
    }
  });

  it('answers hostile bodies and headers on every POST route with 4xx (never 5xx)', async () => {
    for (const route of routes.filter((r) => r.method === 'POST')) {
      const path = route.path('ha', route.id());
      for (const [name, headers, body] of HOSTILE_BODIES) {
        const reply = await hit(name, 'POST', path, { ...auth(rightful(route)), ...headers }, body);
        expectWellFormedRefusal(`${name} on ${path}`, reply);
        // The secrets routes again with a declared length, as most clients send: their lean path
        // takes those (a chunked body goes through the router), and must answer the same.
        if (!path.includes('/secrets/')) continue;
        const length = body === undefined ? '0' : String(Buffer.byteLength(body));
        const declared = await hit(`${name} (declared length)`, 'POST', path, { ...auth(rightful(route)), ...headers, 'content-length': length }, body);
        expectWellFormedRefusal(`${name} (declared length) on ${path}`, declared);
        expect({ name, path, status: declared.status }).toEqual({ name, path, status: reply.status });
      }
    }
  }, 300_000);

  it('never decrypts one org’s ciphertext for another, and keeps idempotency keys to their request', async () => {
    const crossOrg = await hit('cross-org decrypt', 'POST', '/api/orgs/hb/secrets/decrypt', { ...auth(adminB), ...JSON_TYPE }, JSON.stringify({ ciphertexts: [ciphertextA] }));
    expect(crossOrg.status).toBe(400);
    expect(JSON.parse(crossOrg.text)).toMatchObject({ error: { code: 'DATA_KEY_NOT_FOUND' } });
    const tampered = `${ciphertextA.slice(0, -2)}${ciphertextA.endsWith('A') ? 'B' : 'A'}A`;
    const altered = await hit('tampered decrypt', 'POST', '/api/orgs/ha/secrets/decrypt', { ...auth(memberA), ...JSON_TYPE }, JSON.stringify({ ciphertexts: [tampered] }));
    expect(altered.status).toBe(400);
    const reused = await hit('idempotency key reuse', 'POST', `/api/orgs/ha/customer-managed-keys/${keyId}/set-default`, { ...auth(adminA), 'idempotency-key': 'setup-add' });
    expect(reused.status).toBe(422);
    expect(JSON.parse(reused.text)).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
  });

  it('leaks no stack, internal path, token or secret in any response, and none into the api logs', () => {
    expect(replies.length).toBeGreaterThan(400);
    const secrets = [...tokens, ...tokens.map((t) => t.split('.')[3]), env.operatorToken, secretValue];
    for (const { label, reply } of replies) {
      const leaks = [/\n\s+at\s/, /node_modules/, /\/dist\//, /\.(js|ts):\d+/, /"stack"/].filter((pattern) => pattern.test(reply.text)).map(String);
      const exposed = secrets.filter((secret) => reply.text.includes(secret)).length;
      expect({ label, leaks, exposed }).toEqual({ label, leaks: [], exposed: 0 });
    }
    const logs = env.api.logs();
    for (const secret of secrets) expect(logs.includes(secret)).toBe(false);
    expect(logs).not.toMatch(/Unhandled|INTERNAL/);
  });
});
