import SwaggerParser from '@apidevtools/swagger-parser';
import { createApiClient, keysAdd, keysList, sessionSession } from '@cmk/api-client';
import { createApiApp } from '../src/main';
import { loadApiConfig } from '../src/config';
import { waitFor } from '@cmk/testing';
import { E2eEnvironment } from './e2e-environment';
import { ContractChecker, type OpenApiDocument } from './openapi-contract';

/**
 * The OpenAPI document against the running api: it validates, it lists every route the app
 * registers, and real responses of every operation (successes and errors) match its schemas.
 */
describe('OpenAPI document', () => {
  let env: E2eEnvironment;
  let document: OpenApiDocument;

  beforeAll(async () => {
    env = await E2eEnvironment.start({ worker: true, env: { CMK_REENCRYPT_BATCH_SIZE: '50', CMK_REENCRYPT_PROGRESS_INTERVAL_MS: '300', CMK_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
    document = (await env.anonymous().get<OpenApiDocument>('/api/openapi.json')).body;
  }, 120_000);

  afterAll(async () => {
    await env?.stop();
  });

  it('is served at /api/openapi.json and validates as OpenAPI 3.1, with the bearer scheme', async () => {
    expect(document.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
    expect((document as unknown as { components: { securitySchemes: Record<string, unknown> } }).components.securitySchemes['bearer']).toMatchObject({ type: 'http', scheme: 'bearer' });
    const docs = await fetch(`${env.baseUrl}/api/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
  });

  it('lists every route the app registers (from the HTTP server of a real app instance)', async () => {
    const config = loadApiConfig({ ...env.env, PORT: '0', CMK_OPERATOR_TOKEN: env.operatorToken, LOG_LEVEL: 'error' });
    const app = await createApiApp(config);
    await app.init();
    try {
      const router = (app.getHttpAdapter().getInstance() as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }).router;
      const registered = router.stack
        .filter((layer) => layer.route)
        .flatMap((layer) => Object.keys(layer.route!.methods).map((method) => `${method} ${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`))
        .filter((route) => !route.startsWith('head '))
        // Nest mounts route-less middleware (the request logger) as a catch-all layer per method: not an endpoint.
        .filter((route) => !route.endsWith(' {/*splat}'));
      const documented = new Set(Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`)));
      expect(registered.length).toBeGreaterThan(20);
      expect(registered.filter((route) => !documented.has(route) && !route.includes('/api/docs') && !route.includes('/api/openapi'))).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('matches the real responses of every operation, successes and errors', async () => {
    const checker = new ContractChecker(document);
    const problems: string[] = [];
    const call = async (method: string, path: string, options: { token?: string; body?: unknown; raw?: string; stream?: boolean } = {}) => {
      const abort = new AbortController();
      const response = await fetch(`${env.baseUrl}${path}`, {
        method,
        signal: abort.signal,
        headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(options.body !== undefined || options.raw !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
      });
      const contentType = response.headers.get('content-type');
      let body: unknown;
      if (options.stream || contentType?.startsWith('text/event-stream')) {
        abort.abort();
      } else {
        const text = await response.text();
        body = contentType?.includes('json') ? JSON.parse(text) : text;
      }
      problems.push(...checker.check({ method, path, status: response.status, contentType, body }));
      return { status: response.status, body: body as Record<string, never> };
    };
    const op = env.operatorToken;
    const org = 'contract';
    const orgPath = `/api/orgs/${org}`;
    const keys = `${orgPath}/customer-managed-keys`;

    // probes and OIDC
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect((await call('GET', '/readyz')).status).toBe(200);
    expect((await call('GET', '/oidc/.well-known/openid-configuration')).status).toBe(200);
    expect((await call('GET', '/oidc/.well-known/jwks')).status).toBe(200);
    // operator
    expect((await call('POST', '/api/admin/orgs', { body: { login: org, edition: 'enterprise' } })).status).toBe(401);
    expect((await call('POST', '/api/admin/orgs', { token: op, body: { login: 'Bad Login', edition: 'enterprise' } })).status).toBe(400);
    expect((await call('POST', '/api/admin/orgs', { token: op, raw: '{"login":' })).status).toBe(400);
    expect((await call('POST', '/api/admin/orgs', { token: op, body: { login: org, edition: 'team', name: 'Contract Inc' } })).status).toBe(201);
    expect((await call('POST', '/api/admin/orgs', { token: op, body: { login: org, edition: 'team' } })).status).toBe(409);
    expect((await call('POST', `/api/admin/orgs/${org}/edition`, { token: op, body: { edition: 'enterprise' } })).status).toBe(201);
    expect((await call('POST', '/api/admin/orgs/nobody/edition', { token: op, body: { edition: 'enterprise' } })).status).toBe(404);
    const admin = (await call('POST', `/api/admin/orgs/${org}/tokens`, { token: op, body: { user: 'alice', role: 'admin' } })).body.token as string;
    const member = (await call('POST', `/api/admin/orgs/${org}/tokens`, { token: op, body: { user: 'bob', role: 'member' } })).body.token as string;
    const revoked = (await call('POST', `/api/admin/orgs/${org}/tokens`, { token: op, body: { user: 'eve', role: 'admin' } })).body.tokenId as string;
    expect((await call('POST', `/api/admin/orgs/${org}/tokens`, { token: op, body: { user: 'x', role: 'owner' } })).status).toBe(400);
    expect((await call('POST', `/api/admin/orgs/${org}/tokens/${revoked}/revoke`, { token: op })).status).toBe(201);
    expect((await call('POST', `/api/admin/orgs/${org}/tokens/${revoked}/revoke`, { token: op })).status).toBe(409);
    // session and setup
    expect((await call('GET', `${orgPath}/session`, { token: admin })).body).toMatchObject({ role: 'admin', canManageKeys: true });
    expect((await call('GET', `${orgPath}/session`, { token: member })).body).toMatchObject({ role: 'member', canManageKeys: false });
    expect((await call('GET', `${orgPath}/session`, { token: 'cmk.nope' })).status).toBe(401);
    expect((await call('GET', '/api/orgs/other/session', { token: admin })).status).toBe(404);
    expect((await call('GET', `${keys}/aws-setup`, { token: admin })).body).toMatchObject({ audience: `aws:${org}` });
    expect((await call('GET', `${keys}/aws-setup`, { token: member })).status).toBe(403);
    // keys
    expect((await call('GET', keys, { token: admin })).status).toBe(200);
    expect((await call('GET', `${keys}/reencryption`, { token: admin })).status).toBe(404);
    expect((await call('GET', `${keys}/reencryption/events`, { token: admin })).status).toBe(404);
    const wrong = env.demoKey(org, { subjectPrefix: 'other' });
    expect((await call('POST', keys, { token: admin, body: { name: 'A', type: 'aws_kms', awsKms: { roleArn: wrong.roleArn, keyArn: wrong.keyArn } } })).status).toBe(422);
    expect((await call('POST', keys, { token: admin, body: { name: 'A', type: 'aws_kms', awsKms: { roleArn: 'nope', keyArn: 'nope' } } })).status).toBe(400);
    expect((await call('POST', keys, { token: admin, body: { name: 'A', type: 'gcp' } })).status).toBe(400);
    const keyA = env.demoKey(org);
    const added = await call('POST', keys, { token: admin, body: { name: 'A', type: 'aws_kms', awsKms: { roleArn: keyA.roleArn, keyArn: keyA.keyArn } } });
    expect(added.status).toBe(201);
    expect((await call('POST', keys, { token: admin, body: { name: 'A', type: 'aws_kms', awsKms: { roleArn: keyA.roleArn, keyArn: keyA.keyArn } } })).status).toBe(409);
    const keyB = env.demoKey(org);
    const b = (await call('POST', keys, { token: admin, body: { name: 'B', type: 'aws_kms', awsKms: { roleArn: keyB.roleArn, keyArn: keyB.aliasArn } } })).body.key as { id: string };
    expect((await call('GET', `${keys}/reencryption`, { token: admin })).status).toBe(200);
    // key health and webhooks
    expect((await call('POST', `${keys}/${b.id}/check`, { token: admin })).body).toMatchObject({ keyId: b.id, health: { state: 'healthy' } });
    expect((await call('POST', `${keys}/${b.id}/check`, { token: admin })).status).toBe(429);
    expect((await call('POST', `${keys}/nokey/check`, { token: admin })).status).toBe(404);
    const hooks = `${orgPath}/webhooks`;
    expect((await call('POST', hooks, { token: admin, body: { url: 'https://169.254.169.254/latest', events: ['key.health_changed'] } })).status).toBe(400);
    expect((await call('POST', hooks, { token: admin, body: { url: 'https://127.0.0.1/cmk', events: ['nope'] } })).status).toBe(400);
    const hook = (await call('POST', hooks, { token: admin, body: { url: 'https://127.0.0.1/cmk', events: ['key.health_changed'], description: 'contract' } })).body.webhook as { id: string };
    expect((await call('GET', hooks, { token: admin })).body).toMatchObject({ webhooks: [{ id: hook.id }] });
    expect((await call('GET', hooks, { token: member })).status).toBe(403);
    expect((await call('GET', `${hooks}/${hook.id}/deliveries`, { token: admin })).body).toEqual({ deliveries: [] });
    expect((await call('GET', `${hooks}/${hook.id}/deliveries?limit=0`, { token: admin })).status).toBe(400);
    expect((await call('GET', `${hooks}/wh-none/deliveries`, { token: admin })).status).toBe(404);
    expect((await call('DELETE', `${hooks}/${hook.id}`, { token: admin })).status).toBe(204);
    expect((await call('DELETE', `${hooks}/${hook.id}`, { token: admin })).status).toBe(404);
    expect((await call('GET', `${keys}/reencryption/events`, { token: admin, stream: true })).status).toBe(200);
    const ticket = (await call('POST', `${keys}/reencryption/stream-tickets`, { token: admin })).body.ticket as string;
    expect((await call('GET', `${keys}/reencryption/stream?ticket=${ticket}`, { stream: true })).status).toBe(200);
    expect((await call('GET', `${keys}/reencryption/stream?ticket=forged`)).status).toBe(401);
    expect((await call('POST', `${keys}/reencryption/stream-tickets`, { token: member })).status).toBe(403);
    expect((await call('GET', `${keys}/history?limit=2`, { token: admin })).status).toBe(200);
    expect((await call('GET', `${keys}/history?limit=0`, { token: admin })).status).toBe(400);
    expect((await call('POST', `${keys}/nokey/set-default`, { token: admin })).status).toBe(404);
    expect((await call('POST', `${keys}/${b.id}/disable`, { token: admin, body: { destID: b.id } })).status).toBe(409);
    expect((await call('POST', `${keys}/${b.id}/disable`, { token: admin, body: {} })).status).toBe(400);
    await waitForIdle(admin);
    expect((await call('POST', `${keys}/${b.id}/set-default`, { token: admin })).status).toBe(200);
    const a = (added.body.key as { id: string }).id;
    expect((await call('POST', `${keys}/${a}/disable`, { token: admin, body: { destID: b.id } })).status).toBe(202);
    await waitForIdle(admin);
    expect((await call('POST', `${keys}/reencryption/retry`, { token: admin })).status).toBe(409);
    expect((await call('POST', `${keys}/disable-all`, { token: admin })).status).toBe(202);
    await waitForIdle(admin);
    expect((await call('POST', `${keys}/disable-all`, { token: admin })).status).toBe(409);
    expect((await call('GET', keys, { token: member })).status).toBe(403);
    // secrets and data keys
    const encrypted = await call('POST', `${orgPath}/secrets/encrypt`, { token: member, body: { scope: 'prod', values: ['s3cret'] } });
    expect(encrypted.status).toBe(200);
    expect((await call('POST', `${orgPath}/secrets/decrypt`, { token: member, body: { ciphertexts: encrypted.body.ciphertexts } })).body).toEqual({ values: ['s3cret'] });
    expect((await call('POST', `${orgPath}/secrets/decrypt`, { token: member, body: { ciphertexts: ['v1.garbage'] } })).status).toBe(400);
    expect((await call('POST', `${orgPath}/secrets/encrypt`, { token: member, body: { scope: 'bad scope!', values: [] } })).status).toBe(400);
    expect((await call('GET', `${orgPath}/data-keys/summary`, { token: admin })).status).toBe(200);
    // audit
    expect((await call('GET', `${orgPath}/audit?limit=5`, { token: admin })).status).toBe(200);
    expect((await call('GET', `${orgPath}/audit?limit=0`, { token: admin })).status).toBe(400);
    expect((await call('GET', `${orgPath}/audit/export`, { token: admin, stream: true })).status).toBe(200);
    expect((await call('GET', `${orgPath}/audit/export?since=nope`, { token: admin })).status).toBe(400);
    expect((await call('GET', `/api/admin/orgs/${org}/audit/export`, { token: op, stream: true })).status).toBe(200);
    expect((await call('GET', '/api/admin/orgs/nobody/audit/export', { token: op })).status).toBe(404);
    const dataKeyId = String((encrypted.body.ciphertexts as unknown as string[])[0]).split('.')[1];
    expect((await call('GET', `${orgPath}/data-keys/${dataKeyId}/lineage`, { token: admin })).status).toBe(200);
    expect((await call('GET', `${orgPath}/data-keys/dk${'0'.repeat(40)}/lineage`, { token: admin })).status).toBe(404);
    expect((await call('GET', '/audit/.well-known/jwks')).status).toBe(200);
    // operator pages
    expect((await call('GET', '/metrics', { token: op })).status).toBe(200);
    expect((await call('GET', '/metrics')).status).toBe(401);
    expect((await call('GET', '/admin/queues', { token: op })).status).toBe(200);
    expect((await call('GET', '/console')).status).toBe(200);
    expect((await call('GET', '/api/docs')).status).toBe(200);

    expect(problems).toEqual([]);
    expect(checker.unexercised()).toEqual([]);
  }, 120_000);

  it('is what the generated client is typed from: the client reads the live api', async () => {
    const operator = env.operator();
    await operator.post('/api/admin/orgs', { login: 'typed', edition: 'enterprise' });
    const token = (await operator.post<{ token: string }>('/api/admin/orgs/typed/tokens', { user: 'tina', role: 'admin' })).body.token;
    const client = createApiClient({ baseUrl: env.baseUrl, token });
    const session = await sessionSession({ client, path: { org: 'typed' } });
    expect(session.data?.org.login).toBe('typed');
    const refused = await keysAdd({ client, path: { org: 'typed' }, body: { name: '', type: 'aws_kms', awsKms: { roleArn: 'x', keyArn: 'y' } } });
    expect(refused.response?.status).toBe(400);
    expect(refused.error).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    const list = await keysList({ client, path: { org: 'typed' } });
    expect(list.data).toEqual({ keys: [], defaultKeyId: 'platform', reencryption: null, newDataKeys: { blocked: false, code: null, reason: null } });
  });

  /** Waits for the org's run to finish (the API's own view), so the next command is not refused as running. */
  async function waitForIdle(token: string): Promise<void> {
    const client = env.anonymous().withToken(token);
    await waitFor(
      async () => {
        const run = await client.get<{ state: string }>('/api/orgs/contract/customer-managed-keys/reencryption');
        return run.status === 404 || run.body.state !== 'running';
      },
      { timeoutMs: 60_000, intervalMs: 100, description: 'the re-encryption run to finish' },
    );
  }
});
