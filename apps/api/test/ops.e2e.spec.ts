import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitFor, type HttpClient } from '@cmk/testing';
import { QUEUES } from '@cmk/reencryption';
import { E2eEnvironment } from './e2e-environment';
import { DataKeyFixture } from './reencryption-data-keys';
import { HEALTH_QUEUE } from '@cmk/key-health';
import { WEBHOOK_QUEUE } from '@cmk/webhooks';

const KEYS = 600;
const cmk = (org: string) => `/api/orgs/${org}/customer-managed-keys`;

/** The value of one Prometheus sample line (`name{labels} value`), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function raw(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; text: string; challenge: string | null }> {
  const response = await fetch(url, { headers });
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text(), challenge: response.headers.get('www-authenticate') };
}

/** Every `cmk_…` metric name the Grafana dashboard and the Prometheus alert rules use. */
function observabilityMetricNames(): string[] {
  const dir = join(__dirname, '../../../docker/observability');
  const text = readFileSync(join(dir, 'alerts.yml'), 'utf8') + readFileSync(join(dir, 'grafana/dashboards/cmk-overview.json'), 'utf8');
  return [...new Set(text.match(/\bcmk_[a-z0-9_]+/g) ?? [])].sort();
}

/** True when a scrape exports `name`: a sample line of it, or the TYPE line of its histogram / counter family. */
function exports(text: string, name: string): boolean {
  const family = name.replace(/_(bucket|count|sum)$/, '');
  return text.split('\n').some((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `) || line.startsWith(`# TYPE ${family} `) || line.startsWith(`# TYPE ${name} `));
}

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

/**
 * The operator pages over HTTP against the built api and worker: `/metrics` (after a real run,
 * so the fleet's counters and histograms have values) and the bull-board dashboard.
 */
describe('ops endpoints: /metrics and /admin/queues', () => {
  const metricsToken = `mt_${randomBytes(16).toString('hex')}`;
  let env: E2eEnvironment;
  let admin: HttpClient;
  let workerUrl: string;

  beforeAll(async () => {
    const workerPort = await freePort();
    workerUrl = `http://127.0.0.1:${workerPort}`;
    env = await E2eEnvironment.start({ worker: true, env: { CMK_METRICS_TOKEN: metricsToken, CMK_REENCRYPT_BATCH_SIZE: '100', CMK_WORKER_HTTP_PORT: String(workerPort) } });
    for (const [name, value] of Object.entries({ AWS_ENDPOINT_URL_KMS: env.kms.url, AWS_ENDPOINT_URL_STS: env.kms.url, AWS_REGION: env.kms.region })) process.env[name] = value;
    const org = 'ops-org';
    admin = await env.orgWithToken(org, 'enterprise');
    const keys = await DataKeyFixture.open(env.dataDir, env.baseUrl);
    try {
      await keys.issuePlatformKeys(org, KEYS);
    } finally {
      await keys.close();
    }
    const key = env.demoKey(org);
    const added = await admin.post<{ reencryptionId: string }>(cmk(org), { name: 'key-a', type: 'aws_kms', awsKms: { roleArn: key.roleArn, keyArn: key.keyArn } });
    if (added.status !== 201) throw new Error(`add key: ${added.status} ${JSON.stringify(added.body)}`);
    let banner: unknown;
    await waitFor(
      async () => {
        const seen = (await admin.get<{ id: string; state: string }>(`${cmk(org)}/reencryption`)).body;
        banner = seen;
        return seen.id === added.body.reencryptionId && seen.state === 'completed';
      },
      { timeoutMs: 60_000, intervalMs: 200, description: () => `the run to complete (last banner ${JSON.stringify(banner)})\n--- worker ---\n${env.worker?.logs() ?? ''}` },
    );
  }, 120_000);

  afterAll(async () => {
    await env?.stop();
  });

  describe('/metrics', () => {
    it('answers 401 without a token, with a wrong one and with an org token', async () => {
      expect((await raw(`${env.baseUrl}/metrics`)).status).toBe(401);
      expect((await raw(`${env.baseUrl}/metrics`, { authorization: 'Bearer not-the-token' })).status).toBe(401);
      expect((await admin.get('/metrics')).status).toBe(401);
      // Basic is for the dashboard's browser login only.
      expect((await raw(`${env.baseUrl}/metrics`, basic('ops', env.operatorToken))).status).toBe(401);
    });

    it('serves Prometheus text with the fleet counters, histograms, queue depth and projection lag after a run', async () => {
      // Workers push their counts about once a second: wait for the run's to arrive.
      const text = await waitFor(
        async () => {
          const response = await raw(`${env.baseUrl}/metrics`, { authorization: `Bearer ${env.operatorToken}` });
          expect(response.status).toBe(200);
          return (sample(response.text, 'cmk_reencryption_rewraps_total') ?? 0) >= KEYS ? response : undefined;
        },
        { timeoutMs: 15_000, description: 'the fleet metrics to include the run' },
      );
      expect(text.type).toContain('text/plain');
      const body = text.text;
      expect(sample(body, 'cmk_reencryption_rewraps_total')).toBe(KEYS);
      expect(sample(body, 'cmk_kms_calls_total{operation="Encrypt",result="ok"}')).toBe(KEYS);
      expect(body).toContain('# TYPE cmk_reencryption_batch_seconds histogram');
      expect(sample(body, 'cmk_reencryption_batch_seconds_count')).toBe(KEYS / 100);
      expect(sample(body, 'cmk_reencryption_batch_seconds_bucket{le="+Inf"}')).toBe(KEYS / 100);
      expect(sample(body, 'cmk_kms_call_seconds_count')).toBe(KEYS);
      const kmsSum = sample(body, 'cmk_kms_call_seconds_sum') ?? -1;
      expect(kmsSum).toBeGreaterThan(0);
      expect(kmsSum / KEYS).toBeLessThan(1); // mean KMS latency under a second on the local emulator
      const batchesByWorker = body.split('\n').filter((l) => l.startsWith('cmk_reencryption_batches_total{'));
      expect(batchesByWorker.reduce((n, l) => n + Number(l.split(' ').pop()), 0)).toBe(KEYS / 100);
      expect(sample(body, `cmk_queue_jobs{queue="${QUEUES.batch}",state="completed"}`)).toBe(KEYS / 100);
      expect(sample(body, `cmk_queue_jobs{queue="${QUEUES.batch}",state="failed"}`)).toBe(0);
      expect(sample(body, `cmk_queue_jobs{queue="${QUEUES.finalize}",state="completed"}`)).toBe(1);
      expect(sample(body, `cmk_queue_jobs{queue="${QUEUES.plan}",state="active"}`)).toBe(0);
      const lag = sample(body, 'cmk_projection_lag_events');
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThan(50);
      expect(body).toContain('cmk_api_process_resident_memory_bytes');
    });

    it('accepts the scrape-only metrics token', async () => {
      const response = await raw(`${env.baseUrl}/metrics`, { authorization: `Bearer ${metricsToken}` });
      expect(response.status).toBe(200);
      expect(response.text).toContain('cmk_reencryption_rewraps_total');
    });
  });

  describe('HTTP, event-store and cache metrics', () => {
    it('times requests by route template and status (never the raw path)', async () => {
      await admin.get(`${cmk('ops-org')}/reencryption`);
      await admin.get('/api/orgs/ops-org/no-such-route-abc');
      const body = (await raw(`${env.baseUrl}/metrics`, { authorization: `Bearer ${metricsToken}` })).text;
      expect(sample(body, 'cmk_http_request_duration_seconds_count{method="GET",route="/api/orgs/:org/customer-managed-keys/reencryption",status="200"}')).toBeGreaterThan(0);
      expect(sample(body, 'cmk_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}')).toBeGreaterThan(0);
      expect(body).not.toContain('ops-org');
      expect(body).not.toContain('no-such-route');
    });

    it('records event-store append latency and the data-key cache hit ratio', async () => {
      const encrypted = await admin.post<{ ciphertexts: string[] }>('/api/orgs/ops-org/secrets/encrypt', { scope: 'metrics', values: ['a', 'b'] });
      expect(encrypted.status).toBe(200);
      expect((await admin.post('/api/orgs/ops-org/secrets/decrypt', { ciphertexts: encrypted.body.ciphertexts })).status).toBe(200);
      const body = (await raw(`${env.baseUrl}/metrics`, { authorization: `Bearer ${metricsToken}` })).text;
      expect(sample(body, 'cmk_event_store_append_seconds_count{outcome="ok"}')).toBeGreaterThan(0);
      const hits = sample(body, 'cmk_data_key_cache_lookups_total{result="hit"}') ?? 0;
      const misses = sample(body, 'cmk_data_key_cache_lookups_total{result="miss"}') ?? 0;
      expect(hits).toBeGreaterThan(0); // the decrypt found the key the encrypt cached
      expect(sample(body, 'cmk_data_key_cache_hit_ratio')).toBeCloseTo(hits / (hits + misses), 5);
    });
  });

  describe('worker probe port (CMK_WORKER_HTTP_PORT)', () => {
    it('answers /healthz and /readyz with each dependency', async () => {
      expect((await raw(`${workerUrl}/healthz`)).status).toBe(200);
      const ready = await raw(`${workerUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.text)).toMatchObject({ status: 'ready' });
      expect((await raw(`${workerUrl}/nope`)).status).toBe(404);
    });

    it('serves its own Prometheus metrics to the metrics token only', async () => {
      expect((await raw(`${workerUrl}/metrics`)).status).toBe(401);
      const response = await raw(`${workerUrl}/metrics`, { authorization: `Bearer ${metricsToken}` });
      expect(response.status).toBe(200);
      expect(response.type).toContain('text/plain');
      expect(response.text).toContain('cmk_worker_process_resident_memory_bytes');
      // The run's events were appended by this worker (plan, progress, finalize).
      expect(response.text).toMatch(/^cmk_event_store_append_seconds_count\{[^}]*outcome="ok"[^}]*\} [1-9]/m);
    });
  });

  describe('dashboard and alert rules', () => {
    it('name only metrics that the api or a worker exports', async () => {
      const auth = { authorization: `Bearer ${metricsToken}` };
      const scraped = (await raw(`${env.baseUrl}/metrics`, auth)).text + (await raw(`${workerUrl}/metrics`, auth)).text;
      const names = observabilityMetricNames();
      expect(names.length).toBeGreaterThan(10);
      expect(names.filter((name) => !exports(scraped, name))).toEqual([]);
    });
  });

  describe('/admin/queues (bull-board)', () => {
    it('answers 401 with a Basic challenge without credentials or with a wrong password', async () => {
      const anonymous = await raw(`${env.baseUrl}/admin/queues`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.challenge).toMatch(/^Basic realm=/);
      expect(JSON.parse(anonymous.text)).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
      expect((await raw(`${env.baseUrl}/admin/queues`, basic('ops', 'wrong'))).status).toBe(401);
      // The scrape-only token does not open the dashboard (it can retry and delete jobs).
      expect((await raw(`${env.baseUrl}/admin/queues`, { authorization: `Bearer ${metricsToken}` })).status).toBe(401);
    });

    it('serves the dashboard with Basic auth (operator token as password) and with Bearer', async () => {
      for (const headers of [basic('ops', env.operatorToken), { authorization: `Bearer ${env.operatorToken}` }]) {
        const page = await raw(`${env.baseUrl}/admin/queues`, headers);
        expect(page.status).toBe(200);
        expect(page.type).toContain('text/html');
        expect(page.text.toLowerCase()).toContain('<html');
      }
    });

    it('lists the re-encryption queues with the run\'s jobs through the dashboard\'s API', async () => {
      const response = await raw(`${env.baseUrl}/admin/queues/api/queues?activeQueue=${QUEUES.batch}&status=completed&page=1`, basic('ops', env.operatorToken));
      expect(response.status).toBe(200);
      const body = JSON.parse(response.text) as { queues: { name: string; counts: Record<string, number> }[] };
      expect(body.queues.map((q) => q.name).sort()).toEqual([...Object.values(QUEUES), HEALTH_QUEUE, WEBHOOK_QUEUE].sort());
      expect(body.queues.find((q) => q.name === QUEUES.batch)?.counts['completed']).toBe(KEYS / 100);
    });
  });
});
