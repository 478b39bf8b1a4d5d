/**
 * Re-encryption throughput: N data keys under the platform key, a CMK added on the KMS emulator
 * (the first key starts the run), timed until `ReencryptionCompleted`. Api and workers are the
 * built apps as processes; Redis is private; the emulator runs in this process.
 *
 *   npm run bench:reencrypt -- [--keys 100000] [--workers 1] [--skip-compare] [--skip-quota]
 *
 * Scenarios: `--workers` worker process(es); 2 workers (comparison); quota-bound (emulator
 * quota 1 000 req/s + 5 ms latency, fleet limiter at 1 000/s). Also a bare SDK Encrypt loop at
 * the fleet's KMS concurrency against the same emulator. Writes bench-results/reencrypt.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { Queue } from 'bullmq';
import { dataKeyStream, encodeDataKeyEvent } from '@cmk/domain';
import { openSqliteEventStore } from '@cmk/eventstore';
import { DEFAULT_ADMIN_CREDENTIALS, startKmsEmulator, type KmsEmulator } from '@cmk/kms-emulator';
import { LocalPlatformKeyProvider, PlatformMasterKeyring } from '@cmk/key-providers';
import { bullConnection, DEFAULT_REENCRYPTION_SETTINGS, QUEUES } from '@cmk/reencryption';
import { freePort, HttpClient, RedisServer, ServiceProcess, waitFor } from '@cmk/testing';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const KEYS = Number(arg('keys', '100000'));
const WORKERS = Number(arg('workers', '1'));
/** The built apps beside this built file (`dist/tools/bench/src` → `dist/apps/...`). */
const APP = (name: string) => resolve(__dirname, `../../../apps/${name}/src/main.js`);
const CONCURRENCY = DEFAULT_REENCRYPTION_SETTINGS.workerConcurrency * DEFAULT_REENCRYPTION_SETTINGS.rewrapConcurrency;

interface ScenarioResult {
  scenario: string;
  workers: number;
  keys: number;
  seconds: number;
  keysPerSecond: number;
  batchP50Ms: number;
  batchP99Ms: number;
  peakRssWorkerMb: number;
  peakRssApiMb: number;
  kmsRequestsPerSecond: number;
  throttled: number;
}

const peakRssMb = (pid: number | undefined) => {
  const status = pid ? readFileSync(`/proc/${pid}/status`, 'utf8') : '';
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
};
const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);

async function seed(dataDir: string, orgId: string, count: number): Promise<void> {
  const store = await openSqliteEventStore({ path: join(dataDir, 'events.sqlite') });
  const platform = new LocalPlatformKeyProvider(await PlatformMasterKeyring.open({ dataDir }));
  const occurredAt = new Date().toISOString();
  // One append per data key stream (the port has no multi-stream append): fsync-bound.
  for (let i = 0; i < count; i++) {
    const dataKeyId = `dk-${orgId}-${i}`;
    const key = await platform.generateDataKey({ org: orgId, dataKey: dataKeyId });
    const event = encodeDataKeyEvent({
      type: 'DataKeyIssued',
      data: { orgId, dataKeyId, scope: `env/${i % 50}`, wrappedBy: 'platform', kekRef: key.kekRef, wrapped: key.wrapped.toString('base64') },
      metadata: { actor: 'system', requestId: dataKeyId, correlationId: dataKeyId, causationId: dataKeyId, occurredAt },
    });
    key.plaintext.fill(0);
    await store.appendToStream(dataKeyStream(dataKeyId), [{ id: randomUUID(), ...event }], { expectedRevision: 'no_stream' });
  }
  await store.close();
}

async function bareEncryptLoop(kms: KmsEmulator, seconds: number): Promise<number> {
  const client = new KMSClient({ endpoint: kms.url, region: kms.region, credentials: DEFAULT_ADMIN_CREDENTIALS });
  const keyArn = kms.createKey({ description: 'bare' }).keyArn;
  const plaintext = randomBytes(32);
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await client.send(new EncryptCommand({ KeyId: keyArn, Plaintext: plaintext, EncryptionContext: { dataKey: 'dk', org: 'bench' } }));
        done += 1;
      }
    }),
  );
  client.destroy();
  return done / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const redis = await RedisServer.start({ appendOnly: false });
  const kms = await startKmsEmulator();
  const dataDir = mkdtempSync(join(tmpdir(), 'cmk-bench-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const operatorToken = `op_${randomBytes(24).toString('base64url')}`;
  const env = { PORT: String(port), PUBLIC_URL: baseUrl, REDIS_URL: redis.url, CMK_DATA_DIR: dataDir, AWS_ENDPOINT_URL_KMS: kms.url, AWS_ENDPOINT_URL_STS: kms.url, AWS_REGION: kms.region, LOG_LEVEL: 'warn' };
  const api = await ServiceProcess.start({ name: 'api', script: APP('api'), env: { ...env, CMK_OPERATOR_TOKEN: operatorToken }, readyUrl: `${baseUrl}/readyz` });
  const operator = new HttpClient(baseUrl, operatorToken);
  const batches = new Queue(QUEUES.batch, { connection: bullConnection(redis.url, 'bench') });
  const results: ScenarioResult[] = [];

  const scenario = async (name: string, workers: number, workerEnv: Record<string, string>): Promise<ScenarioResult> => {
    const org = `bench-${results.length}-${randomBytes(3).toString('hex')}`;
    await operator.post('/api/admin/orgs', { login: org, edition: 'enterprise' });
    const admin = new HttpClient(baseUrl, (await operator.post<{ token: string }>(`/api/admin/orgs/${org}/tokens`, { user: 'bench', role: 'admin' })).body.token);
    const seedStart = performance.now();
    await seed(dataDir, org, KEYS);
    process.stdout.write(`[${name}] seeded ${KEYS} data keys in ${((performance.now() - seedStart) / 1000).toFixed(1)} s\n`);
    const procs = [];
    for (let i = 0; i < workers; i++) procs.push(await ServiceProcess.start({ name: `worker-${i}`, script: APP('worker'), env: { ...env, CMK_WORKER_NAME: `${name}-w${i}`, ...workerEnv } }));
    const key = kms.createKey({ alias: `alias/${org}` });
    const { roleArn } = kms.registerRole({
      roleArn: `arn:aws:iam::${kms.accountId}:role/${org}`,
      trust: { issuer: `${baseUrl}/oidc`, audience: `aws:${org}`, subject: `cmk:cmk:organization.login:${org}` },
      allow: [{ keyArn: key.keyArn, actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'] }],
    });
    const callsBefore = kms.stats().calls;
    const throttledBefore = kms.stats().throttled;
    const started = performance.now();
    const added = await admin.post<{ reencryptionId: string }>(`/api/orgs/${org}/customer-managed-keys`, { name: 'cmk', type: 'aws_kms', awsKms: { roleArn, keyArn: key.keyArn } });
    const runId = added.body.reencryptionId;
    if (!runId) throw new Error(`add key: ${added.status} ${JSON.stringify(added.body)}`);
    await waitFor(
      async () => {
        const banner = (await admin.get<{ id: string; state: string }>(`/api/orgs/${org}/customer-managed-keys/reencryption`)).body;
        if (banner.id === runId && banner.state === 'failed') throw new Error(`run failed: ${JSON.stringify(banner)}`);
        return banner.id === runId && banner.state === 'completed';
      },
      { timeoutMs: 3_600_000, intervalMs: 100, description: 'run to complete' },
    );
    const seconds = (performance.now() - started) / 1000;
    const stats = kms.stats();
    const jobs = (await batches.getJobs(['completed'], 0, -1)).filter((job) => String(job.id).startsWith(`batch-${runId}`));
    const latencies = jobs.map((job) => (job.finishedOn ?? 0) - (job.processedOn ?? 0)).sort((a, b) => a - b);
    const result: ScenarioResult = {
      scenario: name,
      workers,
      keys: KEYS,
      seconds: Number(seconds.toFixed(2)),
      keysPerSecond: Math.round(KEYS / seconds),
      batchP50Ms: percentile(latencies, 50),
      batchP99Ms: percentile(latencies, 99),
      peakRssWorkerMb: Math.max(...procs.map((p) => peakRssMb(p.pid))),
      peakRssApiMb: peakRssMb(api.pid),
      kmsRequestsPerSecond: Math.round((stats.calls - callsBefore) / seconds),
      throttled: stats.throttled - throttledBefore,
    };
    for (const p of procs) await p.stop();
    results.push(result);
    return result;
  };

  const bare = await bareEncryptLoop(kms, 5);
  await scenario(`${WORKERS} worker(s)`, WORKERS, {});
  if (!process.argv.includes('--skip-compare') && WORKERS !== 2) await scenario('2 workers', 2, {});
  let quota: ScenarioResult | undefined;
  if (!process.argv.includes('--skip-quota')) {
    kms.setQuota(1000);
    kms.setLatency(5);
    quota = await scenario('quota 1000/s, 5 ms', WORKERS, { CMK_KMS_RATE_LIMIT_PER_SECOND: '1000' });
    kms.setQuota(undefined);
    kms.setLatency(0);
  }

  console.log(`\nbare SDK Encrypt loop at concurrency ${CONCURRENCY}: ${Math.round(bare)} calls/s`);
  console.table(results.map((r) => ({ ...r, 'fraction of bare': Number((r.keysPerSecond / bare).toFixed(2)) })));
  if (quota) console.log(`quota-bound: ${quota.kmsRequestsPerSecond} KMS req/s = ${(quota.kmsRequestsPerSecond / 1000).toFixed(2)} of the 1 000/s quota`);
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(
    'bench-results/reencrypt.json',
    `${JSON.stringify({ keys: KEYS, concurrency: CONCURRENCY, bareEncryptPerSecond: Math.round(bare), results, quotaFraction: quota ? quota.kmsRequestsPerSecond / 1000 : null }, null, 2)}\n`,
  );
  await batches.close();
  await api.stop();
  await kms.close();
  await redis.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
