import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '@cmk/webhooks';
import { waitFor, type HttpClient } from '@cmk/testing';
import { E2eEnvironment } from './e2e-environment';

interface Health {
  state: string;
  reason: string;
  since: string;
  checkedAt: string;
  code: string | null;
  pending: { state: string; confirmations: number; required: number } | null;
}
interface ListBody {
  keys: { id: string; health: Health | null }[];
  newDataKeys: { blocked: boolean; code: string | null; reason: string | null };
}
interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

const ORG = 'health-e2e';
const cmk = `/api/orgs/${ORG}/customer-managed-keys`;
const hooks = `/api/orgs/${ORG}/webhooks`;

/** The local receiver a customer would run: verifies each signature with the secret it was shown. */
async function startReceiver() {
  const got: { type: string; data: Record<string, unknown>; verified: boolean }[] = [];
  let secret = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const parsed = JSON.parse(body) as { type: string; data: Record<string, unknown> };
      got.push({ ...parsed, verified: verifySignature(req.headers['x-cmk-signature'] as string | undefined, secret, body) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cmk-hook`,
    got,
    useSecret: (value: string) => (secret = value),
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe('key health and webhooks end to end (api + worker processes, KMS emulator)', () => {
  let env: E2eEnvironment;
  let admin: HttpClient;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let keyId: string;
  let keyArn: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    env = await E2eEnvironment.start({
      worker: true,
      env: {
        CMK_RUN_KEY_HEALTH: 'true',
        CMK_KEY_HEALTH_INTERVAL_SECONDS: '1',
        CMK_KEY_HEALTH_CONFIRMATIONS: '2',
        CMK_KEY_HEALTH_TIMEOUT_MS: '3000',
        CMK_WEBHOOK_ALLOW_HTTP: 'true',
        CMK_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        CMK_WEBHOOK_BACKOFF_MS: '100',
      },
    });
    admin = await env.orgWithToken(ORG, 'enterprise');
    const demo = env.demoKey(ORG);
    keyArn = demo.keyArn;
    const added = await admin.post<{ key: { id: string } }>(cmk, { name: 'Production', type: 'aws_kms', awsKms: { roleArn: demo.roleArn, keyArn: demo.keyArn } });
    expect(added.status).toBe(201);
    keyId = added.body.key.id;
  });

  afterAll(async () => {
    await env?.stop();
    receiver?.close();
  });

  const health = async () => (await admin.get<ListBody>(cmk)).body;

  it('the worker probes the key and the key list shows its health', async () => {
    const list = await waitFor(async () => {
      const body = await health();
      return body.keys[0]?.health?.state === 'healthy' ? body : undefined;
    }, { timeoutMs: 20_000, description: 'a healthy key' });
    expect(list.keys[0].health).toMatchObject({ state: 'healthy', code: null, pending: null });
    expect(list.newDataKeys).toEqual({ blocked: false, code: null, reason: null });
    const checked = await admin.post<{ keyId: string; health: Health }>(`${cmk}/${keyId}/check`);
    expect([checked.status, checked.body.health.state]).toEqual([200, 'healthy']);
    const again = await admin.post<ErrorBody>(`${cmk}/${keyId}/check`);
    expect([again.status, again.body.error.code]).toEqual([429, 'KEY_CHECK_TOO_SOON']);
    expect((await admin.post<ErrorBody>(`${cmk}/not-a-key/check`)).body.error.code).toBe('KEY_NOT_FOUND');
  });

  it('webhooks: admins only, https-or-allowed targets, the secret shown once', async () => {
    const member = await env.tokenFor(ORG, 'member');
    expect((await member.get(hooks)).status).toBe(403);
    const stranger = await env.orgWithToken('health-other', 'enterprise');
    expect((await stranger.get(hooks)).status).toBe(404);
    const forbidden = await admin.post<ErrorBody>(hooks, { url: 'https://169.254.169.254/latest/meta-data', events: ['key.health_changed'] });
    expect([forbidden.status, forbidden.body.error.code]).toEqual([400, 'WEBHOOK_URL_FORBIDDEN']);
    const invalid = await admin.post<ErrorBody>(hooks, { url: receiver.url, events: ['key.exploded'] });
    expect([invalid.status, Object.keys(invalid.body.error.details['fields'] as object)]).toEqual([400, ['events']]);

    const created = await admin.post<{ webhook: { id: string; url: string }; secret: string }>(hooks, { url: receiver.url, events: ['key.health_changed', 'reencryption.completed'] });
    expect(created.status).toBe(201);
    receiver.useSecret(created.body.secret);
    const listed = await admin.get<{ webhooks: Record<string, unknown>[] }>(hooks);
    expect(listed.body.webhooks).toEqual([expect.objectContaining({ id: created.body.webhook.id, url: receiver.url })]);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
  });

  it('a disabled key becomes `disabled` after two probes, new scopes fail at once with its code, and the webhook says so', async () => {
    const kmsDataCalls = () => {
      const stats = env.kms.stats();
      const probes = Object.entries(stats.byPurpose['health-probe'] ?? {}).filter(([k]) => k.startsWith('GenerateDataKey')).reduce((n, [, v]) => n + v, 0);
      return (stats.byOperation['GenerateDataKey'] ?? 0) - probes;
    };
    env.kms.setKeyState(keyArn, 'Disabled');
    const list = await waitFor(async () => {
      const body = await health();
      return body.keys[0]?.health?.state === 'disabled' ? body : undefined;
    }, { timeoutMs: 20_000, description: 'the key to be declared disabled' });
    expect(list.keys[0].health).toMatchObject({ state: 'disabled', code: 'KMS_KEY_DISABLED' });
    expect(list.newDataKeys).toMatchObject({ blocked: true, code: 'KMS_KEY_DISABLED' });

    const before = kmsDataCalls();
    const refused = await admin.post<ErrorBody>(`/api/orgs/${ORG}/secrets/encrypt`, { scope: 'brand-new-scope', values: ['x'] });
    expect([refused.status, refused.body.error.code]).toEqual([422, 'KMS_KEY_DISABLED']);
    expect(kmsDataCalls()).toBe(before); // refused before any KMS call: no waiting through retries

    const change = await waitFor(() => receiver.got.find((d) => d.type === 'key.health_changed' && d.data['to'] === 'disabled'), { timeoutMs: 20_000, description: 'the webhook delivery' });
    expect(change).toMatchObject({ verified: true, data: { keyId, from: 'healthy', code: 'KMS_KEY_DISABLED' } });
    const [hook] = (await admin.get<{ webhooks: { id: string }[] }>(hooks)).body.webhooks;
    const delivered = await waitFor(async () => {
      const body = (await admin.get<{ deliveries: { status: string; attempts: number; eventType: string }[] }>(`${hooks}/${hook.id}/deliveries`)).body;
      return body.deliveries.find((d) => d.status === 'delivered' && d.eventType === 'key.health_changed');
    }, { description: 'a delivered entry in the log' });
    expect(delivered).toMatchObject({ status: 'delivered', attempts: 1, lastError: null });

    const metrics = await env.operator().get<string>('/metrics');
    expect(String(metrics.body)).toContain(`cmk_key_health_state{org="${ORG}",key_id="${keyId}",state="disabled"} 1`);
    expect(String(metrics.body)).toMatch(/cmk_webhook_deliveries_total\{outcome="delivered"\} [1-9]/);
    expect(String(metrics.body)).toMatch(/cmk_key_health_probe_seconds_count [1-9]/);
    expect(String(metrics.body)).toMatch(/cmk_queue_jobs\{queue="cmk-key-health",state="completed"\} [1-9]/);

    env.kms.setKeyState(keyArn, 'Enabled');
    await waitFor(async () => (await health()).keys[0]?.health?.state === 'healthy', { timeoutMs: 20_000, description: 'recovery' });
    const ok = await admin.post(`/api/orgs/${ORG}/secrets/encrypt`, { scope: 'brand-new-scope', values: ['x'] });
    expect(ok.status).toBe(200);
  });

  it('announces a finished re-encryption to its subscribers, signed', async () => {
    const started = await admin.post<{ reencryptionId: string }>(`${cmk}/disable-all`);
    expect(started.status).toBe(202);
    const done = await waitFor(() => receiver.got.find((d) => d.type === 'reencryption.completed' && d.data['reencryptionId'] === started.body.reencryptionId), {
      timeoutMs: 30_000,
      description: 'the reencryption.completed delivery',
    });
    expect(done).toMatchObject({ verified: true, data: { failed: 0 } });
  });

  it('deletes a webhook (204) and then knows it no more', async () => {
    const [hook] = (await admin.get<{ webhooks: { id: string }[] }>(hooks)).body.webhooks;
    expect((await admin.request('DELETE', `${hooks}/${hook.id}`)).status).toBe(204);
    expect((await admin.get<{ webhooks: unknown[] }>(hooks)).body.webhooks).toEqual([]);
    expect((await admin.request<ErrorBody>('DELETE', `${hooks}/${hook.id}`)).body.error.code).toBe('WEBHOOK_NOT_FOUND');
    expect((await admin.get<ErrorBody>(`${hooks}/wh-nope/deliveries`)).status).toBe(404);
    const badLimit = await admin.get<ErrorBody>(`${hooks}/${hook.id}/deliveries?limit=0`);
    expect([badLimit.status, badLimit.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});
