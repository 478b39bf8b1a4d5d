import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { startKmsEmulator } from '@cmk/kms-emulator';
import { freePort, HttpClient, RedisServer, ServiceProcess } from '@cmk/testing';

/**
 * `npm run bench:http`: autocannon (32 connections) against the built api, with a worker and a
 * private Redis beside it, and in the same run against bare NestJS apps on the Express adapter
 * (the api's: the floor) and on the Fastify adapter (the evaluation). Prints a table and the
 * ratios, writes bench-results/http.json. The machine's load average is recorded beside
 * the figures: compare rows of one run, not runs on a busy machine with runs on an idle one.
 */
const CONNECTIONS = 32;
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);
const ORG = 'bench-http';
const VALUE = 'x'.repeat(64);
/** `BENCH_ONLY=<regex>`: run only the scenarios whose name matches (profiling one route). */
const ONLY = process.env['BENCH_ONLY'] ? new RegExp(process.env['BENCH_ONLY']) : undefined;
/** `BENCH_ROUNDS`: how many times every scenario runs, interleaved (medians are reported). */
const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 1));
/**
 * `BENCH_PAIRED=<rounds>`: instead of the scenarios one after the other, run two at the same
 * time (16 connections each) and compare their CPU per request over the same seconds: the floor
 * beside each secrets route, and with `BENCH_BASELINE_ROOT` each secrets route beside the
 * baseline's. Whatever else the machine runs then hits both sides of a ratio alike.
 */
const PAIRED_ROUNDS = Number(process.env['BENCH_PAIRED'] ?? 0);

interface Scenario {
  readonly name: string;
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Fixed request rate (requests/s over all connections), for a latency figure; default: as fast as it goes. */
  readonly rate?: number;
  /** The server process, whose CPU time per request is measured. */
  readonly server: ServiceProcess;
}

interface Figure {
  readonly name: string;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  /**
   * CPU time the server process spent per request (user + system). Unlike req/s it hardly
   * depends on what else runs on a shared machine, so it is the figure to compare.
   */
  readonly cpuMicrosPerRequest: number;
  readonly loadAverage1m: number;
}

/** utime + stime of a process in microseconds (Linux /proc; NaN elsewhere). */
function cpuMicros(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / 100) * 1e6; // clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

async function measure(scenario: Scenario, connections = CONNECTIONS): Promise<Figure> {
  const cpuBefore = cpuMicros(scenario.server.pid);
  const result = await autocannon({
    url: scenario.url,
    method: scenario.method ?? 'GET',
    headers: { ...(scenario.body ? { 'content-type': 'application/json' } : {}), ...scenario.headers },
    body: scenario.body,
    connections,
    duration: SECONDS,
    ...(scenario.rate ? { overallRate: scenario.rate } : {}),
  });
  const cpu = cpuMicros(scenario.server.pid) - cpuBefore;
  return {
    name: scenario.name,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    cpuMicrosPerRequest: cpu / Math.max(1, result.requests.total),
    loadAverage1m: loadavg()[0],
  };
}

/**
 * Two scenarios at once, 16 connections each, for the same seconds: CPU per request of each
 * server over that interval and the ratio `b / a` of the two (how many times a's CPU b costs).
 */
async function measurePair(a: Scenario, b: Scenario): Promise<{ a: Figure; b: Figure }> {
  const [first, second] = await Promise.all([measure(a, CONNECTIONS / 2), measure(b, CONNECTIONS / 2)]);
  return { a: first, b: second };
}

async function bareApp(adapter: 'express' | 'fastify'): Promise<{ url: string; process: ServiceProcess }> {
  const port = await freePort();
  const process = await ServiceProcess.start({
    name: `bare-${adapter}`,
    script: resolve('dist/tools/bench/src/bare-nest-app.js'),
    env: { PORT: String(port), BARE_ADAPTER: adapter },
    readyUrl: `http://127.0.0.1:${port}/healthz`,
  });
  return { url: `http://127.0.0.1:${port}`, process };
}

interface ApiUnderTest {
  readonly url: string;
  readonly process: ServiceProcess;
  readonly auth: Record<string, string>;
  readonly encryptBody: string;
  readonly decryptBody: string;
}

/**
 * One api (with its worker, its own data directory and Redis database) from the build under
 * `root` (`dist/` of this checkout, or `BENCH_BASELINE_ROOT`), with an org, an admin token and
 * a ciphertext to decrypt.
 */
async function startApi(root: string, redisUrl: string, kms: { url: string; region: string }, processes: ServiceProcess[]): Promise<ApiUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'cmk-bench-http-'));
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const operatorToken = `op_${randomBytes(24).toString('base64url')}`;
  const env = {
    PORT: String(port),
    PUBLIC_URL: api,
    REDIS_URL: redisUrl,
    CMK_DATA_DIR: dir,
    CMK_OPERATOR_TOKEN: operatorToken,
    AWS_ENDPOINT_URL_KMS: kms.url,
    AWS_ENDPOINT_URL_STS: kms.url,
    AWS_REGION: kms.region,
    // Production settings: JSON logs at the default level (one line per request).
    LOG_FORMAT: 'json',
    LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'log',
    // Rate limits on (every request pays for its count; BENCH_RATE_LIMIT=off turns them off) but
    // never reached by one token's flood.
    CMK_RATE_LIMIT_ENABLED: process.env['BENCH_RATE_LIMIT'] === 'off' ? 'false' : 'true',
    CMK_RATE_LIMIT_SECRETS: '10000000',
    CMK_RATE_LIMIT_READS: '10000000',
    CMK_RATE_LIMIT_OPERATOR: '10000000',
    CMK_RATE_LIMIT_ANONYMOUS: '10000000',
  };
  const apiProcess = await ServiceProcess.start({ name: 'api', script: resolve(root, 'dist/apps/api/src/main.js'), env, readyUrl: `${api}/readyz` });
  processes.push(apiProcess);
  processes.push(await ServiceProcess.start({ name: 'worker', script: resolve(root, 'dist/apps/worker/src/main.js'), env }));
  tempDirs.push(dir);

  const operator = new HttpClient(api, operatorToken);
  await operator.post('/api/admin/orgs', { login: ORG, edition: 'enterprise' });
  const issued = await operator.post<{ token: string }>(`/api/admin/orgs/${ORG}/tokens`, { user: 'bench', role: 'admin' });
  const client = new HttpClient(api, issued.body.token);
  const encryptBody = JSON.stringify({ scope: 'env/bench', values: [VALUE] });
  const encrypted = await client.post<{ ciphertexts: string[] }>(`/api/orgs/${ORG}/secrets/encrypt`, JSON.parse(encryptBody));
  if (encrypted.status !== 200) throw new Error(`encrypt answered ${encrypted.status}`);
  return { url: api, process: apiProcess, auth: { authorization: `Bearer ${issued.body.token}` }, encryptBody, decryptBody: JSON.stringify({ ciphertexts: encrypted.body.ciphertexts }) };
}

const tempDirs: string[] = [];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The median of each field over the rounds (ratios are taken per round first, see below). */
function medianFigure(figures: readonly Figure[]): Figure {
  const of = (field: keyof Omit<Figure, 'name'>) => median(figures.map((f) => f[field]));
  return {
    name: figures[0].name,
    requestsPerSecond: of('requestsPerSecond'),
    p50Ms: of('p50Ms'),
    p99Ms: of('p99Ms'),
    non2xx: figures.reduce((sum, f) => sum + f.non2xx, 0),
    errors: figures.reduce((sum, f) => sum + f.errors, 0),
    cpuMicrosPerRequest: of('cpuMicrosPerRequest'),
    loadAverage1m: of('loadAverage1m'),
  };
}

/** `BENCH_PAIRED`: the pairs, each run once per round (who starts first alternates), medians of the per-round ratios. */
async function runPaired(scenarios: readonly Scenario[], load: { before: number[]; cpus: number }, withBaseline: boolean): Promise<void> {
  const named = (name: string) => scenarios.find((scenario) => scenario.name.startsWith(name));
  const pairs: [string, string][] = [
    ['bare Nest/Express POST /echo', 'api POST secrets/encrypt'],
    ['bare Nest/Express POST /echo', 'api POST secrets/decrypt'],
    ...(withBaseline
      ? ([
          ['api POST secrets/encrypt', 'baseline api POST secrets/encrypt'],
          ['api POST secrets/decrypt', 'baseline api POST secrets/decrypt'],
        ] as [string, string][])
      : []),
  ].filter(([a, b]) => named(a) && named(b)) as [string, string][];
  const perRound: Record<string, number>[] = [];
  const figures: { round: number; a: Figure; b: Figure }[] = [];
  for (let round = 1; round <= PAIRED_ROUNDS; round++) {
    const ratios: Record<string, number> = {};
    for (const [a, b] of pairs) {
      const flip = round % 2 === 0;
      const measured = await measurePair(named(flip ? b : a)!, named(flip ? a : b)!);
      const [first, second] = flip ? [measured.b, measured.a] : [measured.a, measured.b];
      figures.push({ round, a: first, b: second });
      // CPU per request of a over b's: for the floor pairs the share of the floor, for the baseline
      // pairs what this build costs against the baseline (below 1: cheaper).
      ratios[`cpu(${a}) / cpu(${b})`] = first.cpuMicrosPerRequest / second.cpuMicrosPerRequest;
      process.stdout.write(`[${round}] ${a} ${first.cpuMicrosPerRequest.toFixed(0)} µs | ${b} ${second.cpuMicrosPerRequest.toFixed(0)} µs CPU/req -> ${(first.cpuMicrosPerRequest / second.cpuMicrosPerRequest).toFixed(3)}  load ${second.loadAverage1m.toFixed(1)}\n`);
    }
    perRound.push(ratios);
  }
  const ratios = Object.fromEntries(Object.keys(perRound[0] ?? {}).map((key) => [key, median(perRound.map((r) => r[key]))]));
  process.stdout.write(`\npaired, median of the per-round ratios of CPU per request: ${JSON.stringify(ratios, null, 2)}\n`);
  process.stdout.write(`load average before ${load.before.map((l) => l.toFixed(1)).join(' ')}, after ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${load.cpus} cores\n`);
  mkdirSync('bench-results', { recursive: true });
  const file = join('bench-results', 'http-paired.json');
  writeFileSync(file, `${JSON.stringify({ measuredAt: new Date().toISOString(), connectionsEach: CONNECTIONS / 2, seconds: SECONDS, rounds: PAIRED_ROUNDS, node: process.version, load: { ...load, after: loadavg() }, ratios, perRound, figures }, null, 2)}\n`);
  process.stdout.write(`written to ${file}\n`);
}

async function main(): Promise<void> {
  const redis = await RedisServer.start();
  const kms = await startKmsEmulator();
  const processes: ServiceProcess[] = [];
  try {
    const current = await startApi(resolve('.'), `${redis.url}/0`, kms, processes);
    // BENCH_BASELINE_ROOT: a checkout of an earlier commit, built: its api runs beside this one and
    // is measured in the same rounds (before and after in one run).
    const baselineRoot = process.env['BENCH_BASELINE_ROOT'];
    const baseline = baselineRoot ? await startApi(resolve(baselineRoot), `${redis.url}/1`, kms, processes) : undefined;
    const express = await bareApp('express');
    const fastify = await bareApp('fastify');
    processes.push(express.process, fastify.process);
    const echoBody = current.encryptBody;

    const apiScenarios = (label: string, api: ApiUnderTest): Scenario[] => [
      { name: `${label} GET /healthz`, url: `${api.url}/healthz`, server: api.process },
      { name: `${label} POST secrets/encrypt (1 value)`, url: `${api.url}/api/orgs/${ORG}/secrets/encrypt`, method: 'POST', headers: api.auth, body: api.encryptBody, server: api.process },
      { name: `${label} POST secrets/decrypt (1 value)`, url: `${api.url}/api/orgs/${ORG}/secrets/decrypt`, method: 'POST', headers: api.auth, body: api.decryptBody, server: api.process },
      { name: `${label} GET customer-managed-keys`, url: `${api.url}/api/orgs/${ORG}/customer-managed-keys`, headers: api.auth, server: api.process },
      { name: `${label} GET customer-managed-keys @500/s`, url: `${api.url}/api/orgs/${ORG}/customer-managed-keys`, headers: api.auth, rate: 500, server: api.process },
    ];
    const scenarios = ([
      { name: 'bare Nest/Express GET /healthz', url: `${express.url}/healthz`, server: express.process },
      { name: 'bare Nest/Express POST /echo (floor)', url: `${express.url}/echo`, method: 'POST', body: echoBody, server: express.process },
      { name: 'bare Nest/Fastify GET /healthz', url: `${fastify.url}/healthz`, server: fastify.process },
      { name: 'bare Nest/Fastify POST /echo', url: `${fastify.url}/echo`, method: 'POST', body: echoBody, server: fastify.process },
      ...apiScenarios('api', current),
      ...(baseline ? apiScenarios('baseline api', baseline) : []),
    ] satisfies Scenario[]).filter((scenario) => !ONLY || ONLY.test(scenario.name));

    const load = { before: loadavg(), cpus: cpus().length };
    if (PAIRED_ROUNDS > 0) {
      await runPaired(scenarios, load, baseline !== undefined);
      return;
    }
    // Rounds: every scenario once per round, in the same order, so that a change in the machine's
    // load hits all of them alike; ratios are taken within each round, then their median.
    const rounds: Figure[][] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const figures: Figure[] = [];
      for (const scenario of scenarios) {
        const figure = await measure(scenario);
        figures.push(figure);
        process.stdout.write(`${ROUNDS > 1 ? `[${round}] ` : ''}${figure.name.padEnd(46)} ${figure.requestsPerSecond.toFixed(0).padStart(7)} req/s  ${figure.cpuMicrosPerRequest.toFixed(0).padStart(5)} µs CPU/req  p50 ${String(figure.p50Ms).padStart(4)} ms  p99 ${String(figure.p99Ms).padStart(4)} ms  non-2xx ${figure.non2xx}  load ${figure.loadAverage1m.toFixed(1)}\n`);
      }
      rounds.push(figures);
    }
    const figures = scenarios.map((_, index) => medianFigure(rounds.map((round) => round[index])));
    const ratiosOf = (of: readonly Figure[]) => {
      const figure = (name: string) => of.find((f) => f.name.startsWith(name));
      const rps = (name: string) => figure(name)?.requestsPerSecond ?? NaN;
      const cpu = (name: string) => figure(name)?.cpuMicrosPerRequest ?? NaN;
      const floor = 'bare Nest/Express POST /echo';
      return {
        // Throughput share of the floor (the goal is >= 0.8), and the same by CPU cost per request.
        encryptVsFloor: rps('api POST secrets/encrypt') / rps(floor),
        decryptVsFloor: rps('api POST secrets/decrypt') / rps(floor),
        encryptVsFloorByCpu: cpu(floor) / cpu('api POST secrets/encrypt'),
        decryptVsFloorByCpu: cpu(floor) / cpu('api POST secrets/decrypt'),
        healthzVsFloorByCpu: cpu(floor) / cpu('api GET /healthz'),
        ...(baseline
          ? {
              baselineEncryptVsFloorByCpu: cpu(floor) / cpu('baseline api POST secrets/encrypt'),
              baselineDecryptVsFloorByCpu: cpu(floor) / cpu('baseline api POST secrets/decrypt'),
              baselineHealthzVsFloorByCpu: cpu(floor) / cpu('baseline api GET /healthz'),
              encryptCpuGainOverBaseline: cpu('baseline api POST secrets/encrypt') / cpu('api POST secrets/encrypt'),
              decryptCpuGainOverBaseline: cpu('baseline api POST secrets/decrypt') / cpu('api POST secrets/decrypt'),
            }
          : {}),
        fastifyFloorVsExpressFloorByCpu: cpu(floor) / cpu('bare Nest/Fastify POST /echo'),
        // Fastify can at most save the difference of the two floors' CPU per request: the best
        // case for a route that pays the floor's router, body parser and Nest pipeline. The
        // secrets routes' lean path pays none of those, so for them this overstates the gain.
        fastifyBestCaseEncryptGain: cpu('api POST secrets/encrypt') / (cpu('api POST secrets/encrypt') - (cpu(floor) - cpu('bare Nest/Fastify POST /echo'))),
        fastifyBestCaseDecryptGain: cpu('api POST secrets/decrypt') / (cpu('api POST secrets/decrypt') - (cpu(floor) - cpu('bare Nest/Fastify POST /echo'))),
      };
    };
    const perRound = rounds.map(ratiosOf);
    const ratios = Object.fromEntries(Object.keys(perRound[0]).map((key) => [key, median(perRound.map((r) => (r as Record<string, number>)[key]))]));
    if (ROUNDS > 1) {
      process.stdout.write('\nmedians over the rounds:\n');
      for (const figure of figures) process.stdout.write(`${figure.name.padEnd(46)} ${figure.requestsPerSecond.toFixed(0).padStart(7)} req/s  ${figure.cpuMicrosPerRequest.toFixed(0).padStart(5)} µs CPU/req  p50 ${String(figure.p50Ms).padStart(4)} ms  p99 ${String(figure.p99Ms).padStart(4)} ms\n`);
    }
    process.stdout.write(`\n${ROUNDS > 1 ? 'ratios (median of the per-round ratios): ' : ''}${JSON.stringify(ratios, null, 2)}\n`);
    process.stdout.write(`load average before ${load.before.map((l) => l.toFixed(1)).join(' ')}, after ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${load.cpus} cores\n`);
    mkdirSync('bench-results', { recursive: true });
    const file = join('bench-results', 'http.json');
    writeFileSync(file, `${JSON.stringify({ measuredAt: new Date().toISOString(), connections: CONNECTIONS, seconds: SECONDS, rounds: ROUNDS, node: process.version, load: { ...load, after: loadavg() }, figures, ratios, perRound: rounds }, null, 2)}\n`);
    process.stdout.write(`written to ${file}\n`);
  } finally {
    for (const child of processes.reverse()) await child.stop();
    await kms.close();
    await redis.stop();
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
