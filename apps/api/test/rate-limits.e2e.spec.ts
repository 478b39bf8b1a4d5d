import { HttpClient } from '@cmk/testing';
import { E2eEnvironment } from './e2e-environment';

interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/** One hour: no window can roll over while the test runs, so every count is exact. */
const WINDOW_SECONDS = 3600;
const LIMITS = { secrets: 5, commands: 3, reads: 50, operator: 40, anonymous: 4 };

/**
 * Inbound rate limits through two real api processes sharing one Redis: each request counts
 * against one budget (the token's secrets, commands or reads; the operator's; or the client
 * address's), both replicas count against the same budgets, and a spent budget answers 429
 * `RATE_LIMITED` with `Retry-After` in the documented error shape.
 */
describe('inbound rate limits (two api replicas, one Redis)', () => {
  let env: E2eEnvironment;
  /** The second replica trusts the loopback proxy, so its client address comes from X-Forwarded-For. */
  let replicaUrl: string;
  let memberToken: string;
  let otherMemberToken: string;
  let adminToken: string;

  beforeAll(async () => {
    env = await E2eEnvironment.start({
      env: {
        CMK_RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
        CMK_RATE_LIMIT_SECRETS: String(LIMITS.secrets),
        CMK_RATE_LIMIT_COMMANDS: String(LIMITS.commands),
        CMK_RATE_LIMIT_READS: String(LIMITS.reads),
        CMK_RATE_LIMIT_OPERATOR: String(LIMITS.operator),
        CMK_RATE_LIMIT_ANONYMOUS: String(LIMITS.anonymous),
      },
    });
    replicaUrl = (await env.startApiReplica({ CMK_TRUST_PROXY: 'loopback' })).baseUrl;
    expect((await env.operator().post('/api/admin/orgs', { login: 'rl', edition: 'enterprise' })).status).toBe(201);
    const issue = async (user: string, role: string) => (await env.operator().post<{ token: string }>('/api/admin/orgs/rl/tokens', { user, role })).body.token;
    memberToken = await issue('mia', 'member');
    otherMemberToken = await issue('max', 'member');
    adminToken = await issue('ada', 'admin');
  }, 120_000);

  afterAll(async () => {
    await env?.stop();
  });

  const encrypt = (client: HttpClient) => client.post<ErrorBody>('/api/orgs/rl/secrets/encrypt', { scope: 'app', values: ['v'] });

  async function raw(url: string, init: RequestInit = {}): Promise<{ status: number; retryAfter: string | null; body: ErrorBody }> {
    const response = await fetch(url, init);
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as ErrorBody };
  }

  it("counts a token's secrets calls on both replicas against one budget, then answers 429 with Retry-After", async () => {
    const onFirst = new HttpClient(env.baseUrl, memberToken);
    const onReplica = new HttpClient(replicaUrl, memberToken);
    for (const client of [onFirst, onFirst, onFirst, onReplica, onReplica]) expect((await encrypt(client)).status).toBe(200);

    const refused = await raw(`${replicaUrl}/api/orgs/rl/secrets/encrypt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${memberToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: 'app', values: ['v'] }),
    });
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: { code: 'RATE_LIMITED', message: expect.stringContaining('secrets') as string, details: { budget: 'secrets', limit: LIMITS.secrets, windowSeconds: WINDOW_SECONDS, retryAfterSeconds: expect.any(Number) as number } },
    });
    const retryAfter = Number(refused.retryAfter);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= WINDOW_SECONDS).toBe(true);
    expect(refused.body.error.details['retryAfterSeconds']).toBe(retryAfter);
    expect((await encrypt(onFirst)).status).toBe(429);

    // Per token: another member's secrets still work; per budget: this member's reads still work.
    expect((await encrypt(new HttpClient(env.baseUrl, otherMemberToken))).status).toBe(200);
    expect((await onFirst.get('/api/orgs/rl/session')).status).toBe(200);
  });

  it("gives an admin's commands their own budget, apart from its reads and its secrets", async () => {
    const admin = new HttpClient(env.baseUrl, adminToken);
    const ticket = () => admin.post<ErrorBody>('/api/orgs/rl/customer-managed-keys/reencryption/stream-tickets');
    for (let i = 0; i < LIMITS.commands; i += 1) expect((await ticket()).status).toBe(201);
    const refused = await ticket();
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'RATE_LIMITED', details: { budget: 'commands', limit: LIMITS.commands } });
    expect((await admin.get('/api/orgs/rl/customer-managed-keys')).status).toBe(200);
    expect((await encrypt(admin)).status).toBe(200);
  });

  it('counts the refusals by budget in the metrics', async () => {
    const metrics = await env.operator().get<string>('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^cmk_rate_limited_total\{budget="secrets"\} 1$/m);
    expect(metrics.body).toMatch(/^cmk_rate_limited_total\{budget="commands"\} 1$/m);
  });

  it('counts requests without a valid credential by client address (X-Forwarded-For only from a trusted proxy); probes are never limited', async () => {
    const forged = { authorization: `Bearer cmk.rl.${'0'.repeat(32)}.${'A'.repeat(43)}` };
    const from = (address: string) => ({ 'x-forwarded-for': address });
    // The replica trusts its loopback proxy: each forwarded address has its own budget.
    for (let i = 0; i < LIMITS.anonymous; i += 1) {
      expect((await raw(`${replicaUrl}/api/orgs/rl/session`, { headers: { ...forged, ...from('203.0.113.7') } })).status).toBe(401);
    }
    const spent = await raw(`${replicaUrl}/oidc/.well-known/jwks`, { headers: from('203.0.113.7') });
    expect(spent.status).toBe(429);
    expect(spent.body.error).toMatchObject({ code: 'RATE_LIMITED', details: { budget: 'anonymous', limit: LIMITS.anonymous } });
    expect(Number(spent.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await fetch(`${replicaUrl}/oidc/.well-known/jwks`, { headers: from('203.0.113.8') })).status).toBe(200);
    expect((await fetch(`${replicaUrl}/healthz`, { headers: from('203.0.113.7') })).status).toBe(200);
    expect((await fetch(`${replicaUrl}/readyz`, { headers: from('203.0.113.7') })).status).toBe(200);

    // The first replica trusts no proxy: a client cannot buy a fresh budget with a made-up address.
    for (let i = 0; i < LIMITS.anonymous; i += 1) {
      expect((await raw(`${env.baseUrl}/api/orgs/rl/session`, { headers: { ...forged, ...from(`198.51.100.${i}`) } })).status).toBe(401);
    }
    expect((await raw(`${env.baseUrl}/oidc/.well-known/jwks`, { headers: from('198.51.100.99') })).status).toBe(429);
    // Authenticated callers are counted by token (the operator by its own budget), not by address.
    expect((await new HttpClient(env.baseUrl, adminToken).get('/api/orgs/rl/session')).status).toBe(200);
    expect((await env.operator().get('/metrics')).status).toBe(200);
  });
});
