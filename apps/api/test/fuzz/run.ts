import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fuzzApi, leakedInto } from './api-fuzz';
import { startFuzzStack } from './fuzz-stack';

/**
 * `npm run fuzz -- --runs N [--seed S]`: the long run of the api fuzzer (the bounded run is
 * `apps/api/test/fuzz.e2e.spec.ts`) against the built api and a worker. Prints its figures
 * (runs, routes, duration, findings) and writes bench-results/fuzz.json; exits 1 when it found
 * anything (each finding names the request; the seed reproduces the run).
 */
const USAGE = 'usage: npm run fuzz -- [--runs N] [--seed S]   (default 5000 runs, a new seed)';

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: { runs: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const runs = Number(values.runs ?? 5000);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (!Number.isSafeInteger(runs) || runs < 1 || (seed !== undefined && !Number.isSafeInteger(seed))) {
    process.stderr.write(`--runs and --seed are whole numbers\n${USAGE}\n`);
    return 2;
  }
  const stack = await startFuzzStack();
  try {
    const load = loadavg()[0];
    let last = Date.now();
    const figures = await fuzzApi({
      target: stack.target,
      routes: stack.routes,
      runs,
      seed,
      onProgress: (done) => {
        if (Date.now() - last < 5_000) return;
        last = Date.now();
        process.stderr.write(`  ${done}/${runs} requests\n`);
      },
    });
    const output = `${stack.env.api.allLogs()}\n${stack.env.worker?.allLogs() ?? ''}`;
    const logLeaks = leakedInto(output, stack.target.secrets);
    const running = stack.env.api.running && stack.env.worker?.running === true;
    const result = {
      ...figures,
      requestsPerSecond: Math.round((runs / figures.durationMs) * 1000),
      logLeaks,
      appsStillRunning: running,
      loadAverage1m: Number(load.toFixed(2)),
      loadAverage1mAfter: Number(loadavg()[0].toFixed(2)),
      cpus: cpus().length,
      node: process.version,
      at: new Date().toISOString(),
    };
    const lines = [
      `api fuzz: ${runs} requests over ${figures.routes} routes in ${(figures.durationMs / 1000).toFixed(1)} s (${result.requestsPerSecond} req/s), seed ${figures.seed}`,
      `statuses: ${Object.entries(figures.statuses).map(([status, count]) => `${status}×${count}`).join(' ')}`,
      `findings: ${figures.findings.length}; secrets in the apps' output: ${logLeaks.length}; apps still running: ${running}`,
      `load average (1 min): ${result.loadAverage1m} before, ${result.loadAverage1mAfter} after, on ${result.cpus} cpus`,
      ...figures.findings.slice(0, 20).map((f) => `  ${f.status} ${f.problem}\n    ${f.request}\n    ${f.body.slice(0, 200)}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const dir = resolve('bench-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'fuzz.json'), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`wrote ${join('bench-results', 'fuzz.json')}\n`);
    return figures.findings.length === 0 && logLeaks.length === 0 && running ? 0 : 1;
  } finally {
    await stack.env.stop();
  }
}

void main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
