import { waitFor } from '@cmk/testing';
import { E2eEnvironment } from './e2e-environment';

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  req?: { id?: string; method?: string };
  res?: { statusCode?: number };
  route?: string;
  org?: string;
  responseTime?: number;
}

const ORG = 'logs-org';
const SECRET_VALUE = 'hunter2-plaintext-never-logged';
const COOKIE = 'session=cookie-value-never-logged';

/** The api's JSON log lines so far (the process's stdout and stderr). */
function logLines(env: E2eEnvironment): LogLine[] {
  return env.api
    .logs()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

async function requestLogOf(env: E2eEnvironment, requestId: string): Promise<LogLine> {
  return waitFor(() => logLines(env).find((line) => line.reqId === requestId && line.res !== undefined), {
    timeoutMs: 10_000,
    description: `the request log line of ${requestId}`,
  });
}

/**
 * Request logs (pino-http) and the request id, against the built api with `LOG_FORMAT=json`:
 * one line per request with method, route template, status, duration, request id and org, and
 * never a token, a cookie or a body; `X-Request-Id` echoed (or generated) on every response and
 * the same id in the events the request appended.
 */
describe('request logs and X-Request-Id', () => {
  let env: E2eEnvironment;
  let adminToken: string;

  beforeAll(async () => {
    env = await E2eEnvironment.start({ env: { LOG_LEVEL: 'log', LOG_FORMAT: 'json' } });
    expect((await env.operator().post('/api/admin/orgs', { login: ORG, edition: 'enterprise' })).status).toBe(201);
    const issued = await env.operator().post<{ token: string }>(`/api/admin/orgs/${ORG}/tokens`, { user: 'alice', role: 'admin' });
    expect(issued.status).toBe(201);
    adminToken = issued.body.token;
  }, 60_000);

  afterAll(async () => {
    await env?.stop();
  });

  it('logs method, route template, status, duration, request id and org, and no credentials or bodies', async () => {
    const response = await fetch(`${env.baseUrl}/api/orgs/${ORG}/secrets/encrypt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, cookie: COOKIE, 'content-type': 'application/json', 'x-request-id': 'log-test-1' },
      body: JSON.stringify({ scope: 'production', values: [SECRET_VALUE] }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('log-test-1');
    const ciphertexts = ((await response.json()) as { ciphertexts: string[] }).ciphertexts;

    const line = await requestLogOf(env, 'log-test-1');
    expect(line).toMatchObject({ level: 30, req: { method: 'POST' }, route: '/api/orgs/:org/secrets/encrypt', org: ORG, res: { statusCode: 200 } });
    expect(typeof line.responseTime).toBe('number');

    const all = env.api.logs();
    for (const secret of [adminToken, COOKIE, 'cookie-value-never-logged', SECRET_VALUE, ciphertexts[0], env.operatorToken]) expect(all).not.toContain(secret);
  });

  it('labels unknown paths as unmatched and never logs the raw path', async () => {
    const response = await fetch(`${env.baseUrl}/api/orgs/${ORG}/no-such-thing-${'x'.repeat(20)}`, { headers: { 'x-request-id': 'log-test-404' } });
    expect(response.status).toBe(404);
    const line = await requestLogOf(env, 'log-test-404');
    expect(line).toMatchObject({ route: 'unmatched', res: { statusCode: 404 } });
    expect(JSON.stringify(line)).not.toContain('no-such-thing');
  });

  it('echoes a valid X-Request-Id, generates one otherwise, on every response (errors and refused bodies too)', async () => {
    const echoed = await fetch(`${env.baseUrl}/healthz`, { headers: { 'x-request-id': 'probe-42' } });
    expect(echoed.headers.get('x-request-id')).toBe('probe-42');
    const generated = await fetch(`${env.baseUrl}/api/orgs/${ORG}/customer-managed-keys`);
    expect(generated.status).toBe(401);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = await fetch(`${env.baseUrl}/healthz`, { headers: { 'x-request-id': '<script>' } });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const tooLarge = await fetch(`${env.baseUrl}/api/admin/orgs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'big-body' },
      body: `{"login":"${'a'.repeat(3 * 1024 * 1024)}"}`,
    });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers.get('x-request-id')).toBe('big-body');
  });

  it('puts the same request id in the metadata of the events the request appended', async () => {
    const key = env.demoKey(ORG);
    const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
    const added = await fetch(`${env.baseUrl}/api/orgs/${ORG}/customer-managed-keys`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'logged', type: 'aws_kms', awsKms: { roleArn: key.roleArn, keyArn: key.keyArn } }),
    });
    expect(added.status).toBe(201);
    const requestId = added.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const history = (await (await fetch(`${env.baseUrl}/api/orgs/${ORG}/customer-managed-keys/history`, { headers })).json()) as { events: { type: string; requestId: string }[] };
    const keyAdded = history.events.filter((event) => event.requestId === requestId);
    expect(keyAdded.length).toBeGreaterThan(0);
    expect((await requestLogOf(env, requestId ?? '')).res?.statusCode).toBe(201);
  });
});
