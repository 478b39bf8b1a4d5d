/**
 * Re-encryption throughput: N data keys under the platform key, a CMK added on the KMS emulator
 * (the first key starts the run), timed from the add-key request to `ReencryptionCompleted`
 * (the event's `occurredAt`). Api and workers are the built apps as processes; Redis is
 * private; the emulator runs in this process.
 *
 *   npm run bench:reencrypt -- [--keys 100000] [--workers 1] [--store sqlite|postgres] [--skip-compare] [--skip-quota] [--help]
 *
 * Scenarios: `--workers` worker process(es); 2 workers (comparison); quota-bound (emulator
 * quota 1 000 req/s + 5 ms latency, fleet limiter at 1 000/s). The baseline is a bare SDK
 * Encrypt loop at the fleet's KMS concurrency, in its own process like a worker. Results are
 * merged into bench-results/reencrypt.json under the key count (`<keys>:<store>` when `--store`
 * is given; `--store postgres` runs the apps on a PostgreSQL database created for the run and
 * dropped after it, on `CMK_TEST_POSTGRES_URL` or the local server). Profile with
 * `CMK_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"`.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { startKmsEmulator, type StatsSnapshot } from '@cmk/kms-emulator';
import { ReadModelQueries } from '@cmk/read-models';
import { bullConnection, DEFAULT_REENCRYPTION_SETTINGS, QUEUES } from '@cmk/reencryption';
import { CpuMeter, freePort, HttpClient, PostgresTestDatabase, RedisServer, ServiceProcess, waitFor } from '@cmk/testing';
import { openPostgresEventStore, openSqliteEventStore } from '@cmk/eventstore';
import { PostgresOrgKeyStore } from '@cmk/key-providers';
import { bareEncryptLoop } from './reencrypt-bare-loop';
import { seedDataKeys } from './reencrypt-seed';

const USAGE = `npm run bench:reencrypt -- [options]

  --keys N          data keys to seed and re-encrypt (default 100000)
  --workers N       worker processes in the first scenario (default 1)
  --store S         sqlite (default) or postgres (a database created for the run, dropped after)
  --skip-compare    skip the 2-worker comparison scenario
  --skip-quota      skip the quota-bound scenario (1 000 req/s + 5 ms latency)
  --rewrap-check C  the workers' CMK_REWRAP_CHECK (key-arn, the default, or decrypt)
  --compare-rewrap-check
                    instead of the first scenario: key-arn, decrypt, key-arn, decrypt (1 worker
                    each, interleaved so machine load affects both alike)
  --split-duties    the re-encryption workers only re-encrypt (CMK_RUN_PROJECTIONS,
                    CMK_RUN_AUDIT_CHAIN, CMK_RUN_KEY_HEALTH and CMK_RUN_WEBHOOKS false); one more
                    worker process beside them does the audit chain, key health and webhooks
                    (CMK_RUN_REENCRYPTION=false; the api keeps the read models current), its CPU
                    reported as 'housekeeping' (README, Running in production: a fleet laid out so)
  --help            this text

Env: CMK_CHILD_NODE_ARGS (node flags of the api and workers, e.g. --cpu-prof).
Worker RSS is reported as its high-water mark, the highest 250 ms sample from its start until
the seed is indexed (start-up) and during the run, and the highest sample in each tenth of the run.
Writes bench-results/reencrypt.json (merged under <keys> or <keys>:<store>).
`;
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const KEYS = Number(arg('keys', '100000'));
const WORKERS = Number(arg('workers', '1'));
const STORE = arg('store', 'sqlite');
const REWRAP_CHECK = arg('rewrap-check', '');
const REWRAP_ENV: Record<string, string> = REWRAP_CHECK ? { CMK_REWRAP_CHECK: REWRAP_CHECK } : {};
const SPLIT = process.argv.includes('--split-duties');
/** With --split-duties: what the re-encryption workers leave to the housekeeping worker (and the api). */
const REWRAP_ONLY_ENV: Record<string, string> = SPLIT ? { CMK_RUN_PROJECTIONS: 'false', CMK_RUN_AUDIT_CHAIN: 'false', CMK_RUN_KEY_HEALTH: 'false', CMK_RUN_WEBHOOKS: 'false' } : {};
const HOUSEKEEPING_ENV: Record<string, string> = { CMK_RUN_REENCRYPTION: 'false', CMK_RUN_PROJECTIONS: 'false' };
if (STORE !== 'sqlite' && STORE !== 'postgres') throw new Error(`--store must be sqlite or postgres (got ${STORE})`);
/** The built apps beside this built file (`dist/tools/bench/src` → `dist/apps/...`). */
const APP = (name: string) => resolve(__dirname, `../../../apps/${name}/src/main.js`);
const CONCURRENCY = DEFAULT_REENCRYPTION_SETTINGS.workerConcurrency * DEFAULT_REENCRYPTION_SETTINGS.rewrapConcurrency;

interface ScenarioResult {
  scenario: string;
  workers: number;
  keys: number;
  seedSeconds: number;
  /** Add-key request → `ReencryptionCompleted.occurredAt`. */
  seconds: number;
  keysPerSecond: number;
  failedKeys: number;
  batchP50Ms: number;
  batchP99Ms: number;
  /** The workers' high-water mark (`VmHWM`) over their whole life, start-up included. */
  peakRssWorkerMb: number;
  /** Highest worker RSS sampled (every 250 ms) from its start until the seed was indexed, and during the run. */
  peakRssWorkerStartupMb: number;
  peakRssWorkerRunMb: number;
  /** Worker CPU (user + system) during the run per data key moved, in ms: the figure a loaded machine distorts least. */
  /** Highest worker RSS in each tenth of the run (growth with keys moved would show a leak). */
  rssWorkerByTenthMb: number[];
  peakRssApiMb: number;
  /** Every KMS/STS request the emulator received, throttled ones included. */
  kmsRequestsPerSecond: number;
  /** Requests the emulator accepted (not throttled, not refused). */
  kmsAcceptedPerSecond: number;
  throttled: number;
  /** KMS/STS requests per data key moved (the first-key run: one Encrypt each, plus STS). */
  kmsCallsPerDataKey: number;
  /**
   * CPU milliseconds per data key moved, by process: worker(s), api, redis-server, this process
   * (the KMS emulator), PostgreSQL backends serving the run's database; `total` sums them. On a
   * shared machine this moves far less than keys/s.
   */
  cpuMsPerKey: Record<string, number>;
}

const peakRssMb = (pid: number | undefined) => {
  const status = pid ? readFileSync(`/proc/${pid}/status`, 'utf8') : '';
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
};
const currentRssMb = (pid: number | undefined) => {
  try {
    return pid ? Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024) : 0;
  } catch {
    return 0; // the process has exited
  }
};

/** Samples the workers' RSS every 250 ms; `phase` names the bucket each sample's maximum goes to. */
class RssSampler {
  readonly peaks = new Map<string, number>();
  /** Run-phase samples, in order. */
  readonly run: number[] = [];
  phase = 'startup';
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pids: () => (number | undefined)[]) {
    this.timer = setInterval(() => this.sample(), 250);
  }
  sample(): void {
    const mb = Math.max(0, ...this.pids().map(currentRssMb));
    this.peaks.set(this.phase, Math.max(this.peaks.get(this.phase) ?? 0, mb));
    if (this.phase === 'run') this.run.push(mb);
  }
  byTenth(): number[] {
    const n = this.run.length;
    return Array.from({ length: Math.min(10, n) }, (_, i) => Math.max(...this.run.slice(Math.floor((i * n) / 10), Math.max(Math.floor(((i + 1) * n) / 10), Math.floor((i * n) / 10) + 1))));
  }
  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}
const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);

/** KMS requests KMS accepted (not throttled or refused) between two snapshots. */
const accepted = (before: StatsSnapshot, after: StatsSnapshot) => {
  const errors = (stats: StatsSnapshot) => Object.values(stats.errors).reduce((n, e) => n + e, 0);
  return after.calls - before.calls - (errors(after) - errors(before));
};

async function main(): Promise<void> {
  const redis = await RedisServer.start({ appendOnly: false });
  const kms = await startKmsEmulator();
  const dataDir = mkdtempSync(join(tmpdir(), 'cmk-bench-'));
  const postgres = STORE === 'postgres' ? await PostgresTestDatabase.create('reencrypt') : undefined;
  const pgActivity = postgres ? new Client({ connectionString: postgres.url, application_name: 'cmk-bench-meter' }) : undefined;
  await pgActivity?.connect();
  const openStore = () => (postgres ? openPostgresEventStore({ url: postgres.url }) : openSqliteEventStore({ path: join(dataDir, 'events.sqlite') }));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const operatorToken = `op_${randomBytes(24).toString('base64url')}`;
  const env = { PORT: String(port), PUBLIC_URL: baseUrl, REDIS_URL: redis.url, CMK_DATA_DIR: dataDir, AWS_ENDPOINT_URL_KMS: kms.url, AWS_ENDPOINT_URL_STS: kms.url, AWS_REGION: kms.region, LOG_LEVEL: 'warn', ...(postgres ? { EVENTSTORE_URL: postgres.url } : {}) };
  const api = await ServiceProcess.start({ name: 'api', script: APP('api'), env: { ...env, CMK_OPERATOR_TOKEN: operatorToken }, readyUrl: `${baseUrl}/readyz` });
  const operator = new HttpClient(baseUrl, operatorToken);
  const batches = new Queue(QUEUES.batch, { connection: bullConnection(redis.url, 'bench') });
  const results: ScenarioResult[] = [];
  const queryRedis = new Redis(redis.url);
  const queries = new ReadModelQueries(queryRedis);

  const scenario = async (name: string, workers: number, workerEnv: Record<string, string>): Promise<ScenarioResult> => {
    const org = `bench-${results.length}-${randomBytes(3).toString('hex')}`;
    await operator.post('/api/admin/orgs', { login: org, edition: 'enterprise' });
    const admin = new HttpClient(baseUrl, (await operator.post<{ token: string }>(`/api/admin/orgs/${org}/tokens`, { user: 'bench', role: 'admin' })).body.token);
    const seedStart = performance.now();
    const head = await seedDataKeys(await openStore(), dataDir, org, KEYS, (n) => process.stdout.write(`[${name}] seeded ${n}\n`), postgres ? await PostgresOrgKeyStore.open({ url: postgres.url }) : undefined);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    process.stdout.write(`[${name}] seeded ${KEYS} data keys in ${seedSeconds.toFixed(1)} s\n`);
    const procs: ServiceProcess[] = [];
    const rss = new RssSampler(() => procs.map((p) => p.pid));
    const housekeeping = SPLIT ? await ServiceProcess.start({ name: 'housekeeping', script: APP('worker'), env: { ...env, CMK_WORKER_NAME: `${name}-housekeeping`, ...HOUSEKEEPING_ENV } }) : undefined;
    for (let i = 0; i < workers; i++) procs.push(await ServiceProcess.start({ name: `worker-${i}`, script: APP('worker'), env: { ...env, CMK_WORKER_NAME: `${name}-w${i}`, ...workerEnv, ...REWRAP_ONLY_ENV } }));
    // The read models must have indexed the seed before the clock starts: in a real fleet the
    // data keys were issued long before, and indexing them is not part of re-encrypting them.
    if (!(await queries.waitForCheckpoint(head, { timeoutMs: 1_800_000, intervalMs: 200 }))) throw new Error('the projections did not index the seed');
    process.stdout.write(`[${name}] indexed after ${((performance.now() - seedStart) / 1000).toFixed(1)} s\n`);
    rss.sample();
    rss.phase = 'run';
    const key = kms.createKey({ alias: `alias/${org}` });
    const { roleArn } = kms.registerRole({
      roleArn: `arn:aws:iam::${kms.accountId}:role/${org}`,
      trust: { issuer: `${baseUrl}/oidc`, audience: `aws:${org}`, subject: `cmk:cmk:organization.login:${org}` },
      allow: [{ keyArn: key.keyArn, actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'] }],
    });
    const cpu = new CpuMeter({
      worker: () => procs.flatMap((p) => (p.pid ? [p.pid] : [])),
      api: () => (api.pid ? [api.pid] : []),
      redis: () => (redis.pid ? [redis.pid] : []),
      emulator: () => [process.pid],
      ...(housekeeping ? { housekeeping: () => (housekeeping.pid ? [housekeeping.pid] : []) } : {}),
      ...(pgActivity ? { postgres: async () => (await pgActivity.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows.map((row) => row.pid) } : {}),
    });
    await cpu.start();
    const statsBefore = kms.stats();
    const startedAt = Date.now();
    const added = await admin.post<{ reencryptionId: string }>(`/api/orgs/${org}/customer-managed-keys`, { name: 'cmk', type: 'aws_kms', awsKms: { roleArn, keyArn: key.keyArn } });
    const runId = added.body.reencryptionId;
    if (!runId) throw new Error(`add key: ${added.status} ${JSON.stringify(added.body)}`);
    const banner = await waitFor(
      async () => {
        const current = (await admin.get<{ id: string; state: string; finishedAt: string | null; failed: number; done: number }>(`/api/orgs/${org}/customer-managed-keys/reencryption`)).body;
        if (current.id === runId && current.state === 'failed') throw new Error(`run failed: ${JSON.stringify(current)}`);
        return current.id === runId && current.state === 'completed' ? current : undefined;
      },
      { timeoutMs: 3_600_000, intervalMs: 100, description: 'run to complete' },
    );
    const statsAfter = kms.stats();
    rss.stop();
    const cpuSeconds = await cpu.stop();
    const seconds = (Date.parse(banner.finishedAt ?? new Date().toISOString()) - startedAt) / 1000;
    const jobs = (await batches.getJobs(['completed'], 0, -1)).filter((job) => String(job.id).startsWith(`batch-${runId}`));
    const latencies = jobs.map((job) => (job.finishedOn ?? 0) - (job.processedOn ?? 0)).sort((x, y) => x - y);
    const result: ScenarioResult = {
      scenario: name,
      workers,
      keys: KEYS,
      seedSeconds: Number(seedSeconds.toFixed(1)),
      seconds: Number(seconds.toFixed(2)),
      keysPerSecond: Math.round(banner.done / seconds),
      failedKeys: banner.failed,
      batchP50Ms: percentile(latencies, 50),
      batchP99Ms: percentile(latencies, 99),
      peakRssWorkerMb: Math.max(...procs.map((p) => peakRssMb(p.pid))),
      peakRssWorkerStartupMb: rss.peaks.get('startup') ?? 0,
      peakRssWorkerRunMb: rss.peaks.get('run') ?? 0,
      rssWorkerByTenthMb: rss.byTenth(),
      peakRssApiMb: peakRssMb(api.pid),
      kmsRequestsPerSecond: Math.round((statsAfter.calls - statsBefore.calls) / seconds),
      kmsAcceptedPerSecond: Math.round(accepted(statsBefore, statsAfter) / seconds),
      throttled: statsAfter.throttled - statsBefore.throttled,
      kmsCallsPerDataKey: Number(((statsAfter.calls - statsBefore.calls) / Math.max(1, banner.done)).toFixed(3)),
      cpuMsPerKey: perKey(cpuSeconds, banner.done),
    };
    process.stdout.write(`[${name}] ${JSON.stringify(result)}\n`);
    for (const p of procs) await p.stop();
    await housekeeping?.stop();
    results.push(result);
    return result;
  };

  const bareKey = kms.createKey({ description: 'bare loop' }).keyArn;
  // Measured before and after the scenarios (a cold emulator is slower); the faster is the bar.
  const bareBefore = await bareEncryptLoop(kms.url, kms.region, bareKey, 10, CONCURRENCY);
  if (process.argv.includes('--compare-rewrap-check')) {
    for (const pass of [1, 2]) {
      for (const check of ['key-arn', 'decrypt']) await scenario(`check ${check} #${pass}`, 1, { CMK_REWRAP_CHECK: check });
    }
  } else {
    await scenario(`${WORKERS} worker(s)${SPLIT ? ', split duties' : ''}`, WORKERS, REWRAP_ENV);
  }
  if (!process.argv.includes('--skip-compare') && WORKERS !== 2) await scenario('2 workers', 2, REWRAP_ENV);
  let quota: ScenarioResult | undefined;
  if (!process.argv.includes('--skip-quota')) {
    kms.setQuota(1000);
    kms.setLatency(5);
    quota = await scenario('quota 1000/s, 5 ms', WORKERS, { ...REWRAP_ENV, CMK_KMS_RATE_LIMIT_PER_SECOND: '1000' });
    kms.setQuota(undefined);
    kms.setLatency(0);
  }

  const bareAfter = await bareEncryptLoop(kms.url, kms.region, bareKey, 10, CONCURRENCY);
  const bare = Math.max(bareBefore, bareAfter);
  process.stdout.write(`\nbare SDK Encrypt loop at concurrency ${CONCURRENCY} (own process): ${Math.round(bare)} calls/s\n`);
  console.table(results.map(({ cpuMsPerKey: _, ...r }) => ({ ...r, 'fraction of bare': Number((r.keysPerSecond / bare).toFixed(2)) })));
  process.stdout.write('CPU ms per data key, by process:\n');
  console.table(Object.fromEntries(results.map((r) => [r.scenario, r.cpuMsPerKey])));
  // Honest quota use: requests KMS accepted, not the throttled ones (which cost quota nothing).
  const quotaFraction = quota ? quota.kmsAcceptedPerSecond / 1000 : null;
  if (quota) process.stdout.write(`quota-bound: ${quota.kmsAcceptedPerSecond} accepted KMS req/s = ${quotaFraction?.toFixed(2)} of the 1 000/s quota, ${quota.failedKeys} failed keys\n`);
  const out = 'bench-results/reencrypt.json';
  mkdirSync('bench-results', { recursive: true });
  const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as { runs?: Record<string, unknown> }) : {};
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` };
  const run = { measuredAt: new Date().toISOString(), store: STORE, loadAverage: loadavg().map((l) => Number(l.toFixed(1))), command: `npm run bench:reencrypt -- ${process.argv.slice(2).join(' ')}`.trim(), concurrency: CONCURRENCY, bareEncryptPerSecond: Math.round(bare), bareEncryptRuns: [Math.round(bareBefore), Math.round(bareAfter)], results, quotaFraction };
  const runKey = [String(KEYS), ...(process.argv.includes('--store') ? [STORE] : []), ...(process.argv.includes('--compare-rewrap-check') ? ['rewrap-check'] : REWRAP_CHECK ? [`check-${REWRAP_CHECK}`] : []), ...(SPLIT ? ['split'] : [])].join(':');
  writeFileSync(out, `${JSON.stringify({ machine, runs: { ...(previous.runs ?? {}), [runKey]: run } }, null, 2)}\n`);
  await batches.close();
  queryRedis.disconnect();
  await api.stop();
  await kms.close();
  await redis.stop();
  rmSync(dataDir, { recursive: true, force: true });
  await pgActivity?.end();
  await postgres?.drop();
}

/** CPU seconds per process group → milliseconds per data key, with their `total`. */
function perKey(cpuSeconds: Record<string, number>, keys: number): Record<string, number> {
  const ms = (seconds: number) => Number(((seconds * 1000) / Math.max(1, keys)).toFixed(3));
  const total = Object.values(cpuSeconds).reduce((sum, seconds) => sum + seconds, 0);
  return { ...Object.fromEntries(Object.entries(cpuSeconds).map(([group, seconds]) => [group, ms(seconds)])), total: ms(total) };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
