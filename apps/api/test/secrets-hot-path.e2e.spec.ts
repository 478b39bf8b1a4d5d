import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { waitFor } from '@cmk/testing';
import { E2eEnvironment } from './e2e-environment';

/**
 * The secrets routes' lean path (`secrets/secrets-hot-path.ts`) against the Nest route it stands
 * in for, in one api process: `/api/orgs/<org>/secrets/encrypt` is served by the lean path, the
 * same URL with a trailing slash by Express's router and the Nest pipeline (the lean path takes
 * only the exact spelling; the lean-path counter in `/metrics` proves which one answered). Every
 * request of the table is sent both ways and must get the same status, headers and body.
 */

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

function send(base: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    // A declared length, as browsers, fetch and most clients send (a chunked body is left to the router).
    const length = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path, headers: { ...length, ...headers }, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`POST ${path} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const SECRETS_BUDGET = 8;
const JSON_TYPE = { 'content-type': 'application/json' };
const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

type Who = 'member' | 'admin' | 'auditor' | 'other-org' | 'revoked' | 'garbage' | 'basic' | 'none' | 'operator';

interface Row {
  readonly name: string;
  readonly route: 'encrypt' | 'decrypt';
  readonly who: Who;
  readonly headers?: Record<string, string>;
  /** The body; `ciphertext` stands for a ciphertext of the org. Default: a good body. */
  readonly body?: Buffer | string | ((ciphertext: string) => Buffer | string);
  /** Whether the lean path takes the request (the rest falls through to the router even in its spelling). Default true. */
  readonly lean?: boolean;
  /** Spend the token's secrets budget first. */
  readonly exhaust?: boolean;
  /** The org in the path. Default `lp-a`. */
  readonly org?: string;
}

const GOOD = { encrypt: JSON.stringify({ scope: 'prod', values: ['s3cret', ''] }), decrypt: (c: string) => JSON.stringify({ ciphertexts: [c] }) };

const ROWS: Row[] = (['encrypt', 'decrypt'] as const).flatMap((route): Row[] => [
  { name: 'a good request', route, who: 'member' },
  { name: 'an admin', route, who: 'admin' },
  { name: 'the charset spelled out', route, who: 'member', headers: { 'content-type': 'Application/JSON; Charset="UTF-8"' } },
  { name: 'a byte-order mark', route, who: 'member', body: (c) => `\ufeff${route === 'encrypt' ? GOOD.encrypt : GOOD.decrypt(c)}` },
  { name: 'leading whitespace', route, who: 'member', body: (c) => ` \n\t${route === 'encrypt' ? GOOD.encrypt : GOOD.decrypt(c)}` },
  { name: 'no token', route, who: 'none' },
  { name: 'a malformed token', route, who: 'garbage' },
  { name: 'a revoked token', route, who: 'revoked' },
  { name: 'HTTP Basic', route, who: 'basic' },
  { name: 'the operator token', route, who: 'operator' },
  { name: 'another org’s token', route, who: 'other-org' },
  { name: 'an org that does not exist', route, who: 'member', org: 'no-such-org' },
  { name: 'the wrong role', route, who: 'auditor' },
  { name: 'truncated JSON', route, who: 'member', body: '{"scope":"prod","values":' },
  { name: 'not JSON', route, who: 'none', body: 'hello' },
  { name: 'JSON null', route, who: 'member', body: 'null' },
  { name: 'a JSON string', route, who: 'member', body: '"values"' },
  { name: 'an array', route, who: 'member', body: '[{"scope":"s","values":["a"],"ciphertexts":["x"]}]' },
  { name: 'deep JSON', route, who: 'member', body: `{"scope":"s","values":["a"],"ciphertexts":["x"],"extra":${nested(200)}}` },
  { name: 'an extra field', route, who: 'member', body: '{"scope":"s","values":["a"],"ciphertexts":["x"],"admin":true}' },
  { name: 'wrong types', route, who: 'member', body: '{"scope":["s"],"values":"a","ciphertexts":{"0":"x"}}' },
  { name: 'a bad scope', route, who: 'member', body: '{"scope":"../etc","values":["a"]}' },
  { name: 'too many values', route, who: 'member', body: JSON.stringify({ scope: 's', values: Array.from({ length: 1001 }, () => 'v'), ciphertexts: Array.from({ length: 1001 }, () => 'v') }) },
  { name: '__proto__ keys', route, who: 'member', body: '{"__proto__":{"role":"admin"},"scope":"s","values":["a"],"ciphertexts":["x"]}' },
  { name: 'malformed values', route, who: 'member', body: '{"scope":"s","values":["\\ud800"],"ciphertexts":["v1.nope","v9.a.b.c",""]}' },
  { name: 'invalid UTF-8', route, who: 'member', body: Buffer.concat([Buffer.from('{"scope":"s","values":["'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"],"ciphertexts":["x"]}')]) },
  { name: 'a hostile Idempotency-Key', route, who: 'member', headers: { 'idempotency-key': '../bad key' } },
  { name: 'a hostile Idempotency-Key and a bad body', route, who: 'member', headers: { 'idempotency-key': '../bad key' }, body: '{"scope":7}' },
  { name: 'a hostile X-Request-Id', route, who: 'member', headers: { 'x-request-id': '<script>' } },
  { name: 'a spent budget', route, who: 'member', exhaust: true },
  // Left to the body parser even in the lean path's spelling: still the same answers.
  { name: 'an empty body', route, who: 'member', body: '', lean: false },
  { name: 'an oversized body', route, who: 'member', body: `{"values":["${'x'.repeat(3_000_000)}"]}`, lean: false },
  { name: 'text/plain', route, who: 'member', headers: { 'content-type': 'text/plain' }, lean: false },
  { name: 'another charset', route, who: 'member', headers: { 'content-type': 'application/json; charset=utf-16' }, body: Buffer.from('{"scope":"s"}', 'utf16le'), lean: false },
  { name: 'gzip', route, who: 'member', headers: { 'content-encoding': 'gzip' }, body: (c) => gzipSync(route === 'encrypt' ? GOOD.encrypt : GOOD.decrypt(c)), lean: false },
]);

const requestIdOf = (row: Row) => `lp-${row.route}-${row.name.replace(/[^a-z]+/gi, '-')}`;

describe('the secrets routes’ lean path answers exactly like the Nest route', () => {
  let env: E2eEnvironment;
  let ciphertext: string;
  let otherOrgCiphertext: string;
  let revoked: string;
  let tokenCount = 0;

  const issue = async (org: string, role: 'admin' | 'member' | 'auditor') => {
    const issued = await env.operator().post<{ token: string; tokenId: string }>(`/api/admin/orgs/${org}/tokens`, { user: `u${(tokenCount += 1)}`, role });
    expect(issued.status).toBe(201);
    return issued.body;
  };

  const leanServed = async (): Promise<number> => {
    const text = await (await fetch(`${env.baseUrl}/metrics`, { headers: { authorization: `Bearer ${env.operatorToken}` } })).text();
    return [...text.matchAll(/^cmk_http_lean_path_requests_total\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
  };

  beforeAll(async () => {
    env = await E2eEnvironment.start({
      env: { LOG_LEVEL: 'log', LOG_FORMAT: 'json', CMK_RATE_LIMIT_WINDOW_SECONDS: '3600', CMK_RATE_LIMIT_SECRETS: String(SECRETS_BUDGET), CMK_RATE_LIMIT_ANONYMOUS: '100000', CMK_RATE_LIMIT_OPERATOR: '100000' },
    });
    for (const login of ['lp-a', 'lp-b']) expect((await env.operator().post('/api/admin/orgs', { login, edition: 'enterprise' })).status).toBe(201);
    const gone = await issue('lp-a', 'member');
    revoked = gone.token;
    expect((await env.operator().post(`/api/admin/orgs/lp-a/tokens/${gone.tokenId}/revoke`)).status).toBeLessThan(300);
    const encrypt = async (org: string) => {
      const reply = await send(env.baseUrl, `/api/orgs/${org}/secrets/encrypt`, { ...JSON_TYPE, authorization: `Bearer ${(await issue(org, 'member')).token}` }, GOOD.encrypt);
      expect(reply.status).toBe(200);
      return (JSON.parse(reply.text) as { ciphertexts: string[] }).ciphertexts[0];
    };
    ciphertext = await encrypt('lp-a');
    otherOrgCiphertext = await encrypt('lp-b');
  }, 120_000);

  afterAll(async () => {
    await env?.stop();
  });

  async function credential(who: Who): Promise<Record<string, string>> {
    switch (who) {
      case 'member':
      case 'admin':
      case 'auditor':
        return { authorization: `Bearer ${(await issue('lp-a', who)).token}` };
      case 'other-org':
        return { authorization: `Bearer ${(await issue('lp-b', 'admin')).token}` };
      case 'revoked':
        return { authorization: `Bearer ${revoked}` };
      case 'garbage':
        return { authorization: `Bearer cmk.lp-a.${'0'.repeat(32)}.${'A'.repeat(43)}` };
      case 'basic':
        return { authorization: 'Basic Og==' };
      case 'operator':
        return { authorization: `Bearer ${env.operatorToken}` };
      case 'none':
        return {};
    }
  }

  /** What must agree: status, body and headers but the date and the connection's own. */
  function comparable(reply: Reply, row: Row): object {
    const headers = Object.fromEntries(Object.entries(reply.headers).filter(([name]) => !['date', 'connection', 'keep-alive'].includes(name)));
    let body: unknown = reply.text;
    try {
      body = JSON.parse(reply.text) as unknown;
    } catch {
      // compared as text
    }
    // A request id generated for a hostile one differs, but is generated both ways.
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(String(headers['x-request-id']))) headers['x-request-id'] = '(generated)';
    // The window's remaining seconds may tick between the two requests.
    if (reply.status === 429) {
      expect(Number(headers['retry-after'])).toBeGreaterThan(0);
      delete headers['retry-after'];
      delete (body as { error: { details: Record<string, unknown>; message?: string } }).error.details['retryAfterSeconds'];
      delete (body as { error: { message?: string } }).error.message;
    }
    // Fresh nonces: each encryption differs; what both sealed is compared instead (below).
    if (reply.status === 200 && row.route === 'encrypt') {
      body = { ciphertexts: (body as { ciphertexts: string[] }).ciphertexts.length };
      delete headers['content-length'];
    }
    return { status: reply.status, headers, body };
  }

  async function decrypted(replyText: string): Promise<string[]> {
    const reply = await send(env.baseUrl, '/api/orgs/lp-a/secrets/decrypt', { ...JSON_TYPE, ...(await credential('member')) }, JSON.stringify({ ciphertexts: (JSON.parse(replyText) as { ciphertexts: string[] }).ciphertexts }));
    expect(reply.status).toBe(200);
    return (JSON.parse(reply.text) as { values: string[] }).values;
  }

  it.each(ROWS.map((row) => [`${row.route}: ${row.name}`, row] as const))('%s', async (_label, row) => {
    const auth = await credential(row.who);
    const headers = { ...JSON_TYPE, ...auth, 'x-request-id': requestIdOf(row), ...row.headers };
    const body = typeof row.body === 'function' ? row.body(ciphertext) : (row.body ?? (row.route === 'encrypt' ? GOOD.encrypt : GOOD.decrypt(ciphertext)));
    const path = `/api/orgs/${row.org ?? 'lp-a'}/secrets/${row.route}`;
    if (row.exhaust) {
      for (let i = 0; i < SECRETS_BUDGET; i++) expect((await send(env.baseUrl, path, { ...headers, 'x-request-id': `spend-${i}` }, body)).status).toBe(200);
    }
    const before = await leanServed();
    const lean = await send(env.baseUrl, path, headers, body);
    const between = await leanServed();
    const nest = await send(env.baseUrl, `${path}/`, headers, body);
    const after = await leanServed();
    expect({ leanServed: between - before, nestServed: after - between }).toEqual({ leanServed: row.lean === false ? 0 : 1, nestServed: 0 });
    expect(comparable(lean, row)).toEqual(comparable(nest, row));
    expect(lean.status).toBeLessThan(500);
    if (lean.status === 200 && row.route === 'encrypt') expect(await decrypted(lean.text)).toEqual(await decrypted(nest.text));
  });

  it('answers with the same plaintexts and refuses another org’s ciphertext alike', async () => {
    const auth = await credential('member');
    const body = JSON.stringify({ ciphertexts: [ciphertext, ciphertext] });
    const lean = await send(env.baseUrl, '/api/orgs/lp-a/secrets/decrypt', { ...JSON_TYPE, ...auth }, body);
    expect(lean.status).toBe(200);
    expect(JSON.parse(lean.text)).toEqual({ values: ['s3cret', 's3cret'] });
    const foreign = JSON.stringify({ ciphertexts: [otherOrgCiphertext] });
    const headers = { ...JSON_TYPE, ...auth, 'x-request-id': 'lp-foreign' };
    const [leanForeign, nestForeign] = [await send(env.baseUrl, '/api/orgs/lp-a/secrets/decrypt', headers, foreign), await send(env.baseUrl, '/api/orgs/lp-a/secrets/decrypt/', headers, foreign)];
    expect(leanForeign.status).toBe(400);
    expect(comparable(leanForeign, { name: 'foreign', route: 'decrypt', who: 'member' })).toEqual(comparable(nestForeign, { name: 'foreign', route: 'decrypt', who: 'member' }));
  });

  it('writes the same request log line for both (or none for either), without tokens or values', async () => {
    const lines = () =>
      env.api
        .allLogs()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { reqId?: string; res?: unknown; time?: unknown; responseTime?: unknown; msg?: string });
    const ids = ROWS.filter((row) => !row.headers?.['x-request-id']).map(requestIdOf);
    // Each request id was sent once each way: its lines are none or a pair (written as the responses closed).
    const pairs = await waitFor(
      () => {
        const all = lines().filter((line) => line.res !== undefined);
        const byId = ids.map((id) => all.filter((line) => line.reqId === id));
        return byId.every((found) => found.length === 0 || found.length === 2) && byId;
      },
      { description: 'a request log line from both paths, or from neither, for every request' },
    );
    expect(pairs.filter((pair) => pair.length === 2).length).toBeGreaterThan(20);
    for (const pair of pairs.filter((found) => found.length === 2)) {
      const [lean, nest] = pair.map(({ time: _time, responseTime, msg, ...fields }) => ({ ...fields, responseTime: typeof responseTime, msg: msg?.replace(/ \d+ ms$/, '') }));
      expect(lean).toEqual(nest);
      expect(lean).toMatchObject({ route: expect.stringMatching(/^\/api\/orgs\/:org\/secrets\/(en|de)crypt$/), req: { method: 'POST' }, res: { statusCode: expect.any(Number) } });
    }
    const logs = env.api.allLogs();
    for (const secret of ['s3cret', revoked, env.operatorToken]) expect(logs).not.toContain(secret);
  });
});
