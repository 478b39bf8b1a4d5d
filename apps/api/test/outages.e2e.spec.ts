import { freePort, waitFor, type ServiceProcess } from '@cmk/testing';
import { E2eEnvironment } from './e2e-environment';
import { outageLines, parseJsonLogs } from './json-logs';

const GRACE_MS = 5_000;

interface Readiness {
  status: string;
  dependencies: { dependency: string; up: boolean; outages: number }[];
}

/**
 * Outages of Redis and of the event store, seen by an operator: readiness and metrics follow
 * them, each outage is one JSON log line when it starts and one when it ends (no raw error
 * output), and SIGTERM stops a worker within `CMK_SHUTDOWN_GRACE_MS` whatever the dependencies'
 * state, during start-up too. (Runs and recovery mid-re-encryption: reencryption-suite.ts.)
 */
describe.each(['sqlite', 'esdb'] as const)('dependency outages on %s (api + worker processes)', (eventStore) => {
  let env: E2eEnvironment;
  /** The worker's own probe port (`CMK_WORKER_HTTP_PORT`). */
  let workerUrl: string;

  beforeAll(async () => {
    const workerPort = await freePort();
    workerUrl = `http://127.0.0.1:${workerPort}`;
    env = await E2eEnvironment.start({
      eventStore,
      worker: true,
      redisAppendOnly: true,
      env: { LOG_FORMAT: 'json', LOG_LEVEL: 'log', CMK_SHUTDOWN_GRACE_MS: String(GRACE_MS), CMK_WORKER_HTTP_PORT: String(workerPort) },
    });
    await started(worker());
  }, 120_000);

  afterAll(async () => {
    await env?.stop();
  });

  function worker(): ServiceProcess {
    if (!env.worker) throw new Error('no worker');
    return env.worker;
  }

  async function started(process: ServiceProcess): Promise<void> {
    await waitFor(() => parseJsonLogs(process.allLogs()).lines.some((line) => line.context === 'worker' && line.message.includes('started')), {
      timeoutMs: 30_000,
      description: `the worker to start\n${process.logs()}`,
    });
  }

  async function readiness(): Promise<{ status: number; body: Readiness }> {
    const response = await env.anonymous().get<Readiness>('/readyz');
    return { status: response.status, body: response.body };
  }

  /** The worker probe's `/readyz` status (undefined while it does not answer). */
  async function workerReadiness(): Promise<number | undefined> {
    return fetch(`${workerUrl}/readyz`).then((response) => response.status, () => undefined);
  }

  async function metric(name: string, dependency: string): Promise<number | undefined> {
    const response = await env.operator().get<string>('/metrics');
    const text = typeof response.body === 'string' ? response.body : '';
    const match = new RegExp(`^${name}\\{dependency="${dependency}"\\} (\\d+)$`, 'm').exec(text);
    return match ? Number(match[1]) : undefined;
  }

  async function sigtermWithinGrace(process: ServiceProcess): Promise<{ code: number | null; elapsedMs: number }> {
    const startedAt = Date.now();
    const code = await process.kill('SIGTERM');
    return { code, elapsedMs: Date.now() - startedAt };
  }

  function expectNoRawOutput(process: ServiceProcess): void {
    expect(parseJsonLogs(process.allLogs()).raw).toEqual([]);
  }

  it('Redis: /readyz 503 and the gauge at 0 during the outage, 200 and 1 after; one line at the start and one at the end in each process', async () => {
    await env.redis.kill();
    const during = await waitFor(
      async () => {
        const answer = await readiness();
        return answer.body.dependencies.find((d) => d.dependency === 'redis')?.up === false ? answer : undefined;
      },
      { timeoutMs: 15_000, description: 'readyz to report the Redis outage' },
    );
    expect(during.status).toBe(503);
    expect(during.body.dependencies.find((d) => d.dependency === 'redis')).toMatchObject({ up: false, outages: 1 });
    expect(await metric('cmk_dependency_up', 'redis')).toBe(0);
    expect(await metric('cmk_dependency_outages_total', 'redis')).toBe(1);
    await waitFor(() => outageLines(worker().allLogs(), 'Redis').length > 0, { timeoutMs: 15_000, description: `the worker's outage line\n${worker().logs()}` });
    await waitFor(async () => (await workerReadiness()) === 503, { timeoutMs: 15_000, description: "the worker's /readyz 503 during the outage" });

    await env.redis.restart();
    await waitFor(async () => (await readiness()).status === 200, { timeoutMs: 15_000, description: 'readyz 200 once Redis is back' });
    await waitFor(async () => (await workerReadiness()) === 200, { timeoutMs: 15_000, description: "the worker's /readyz 200 once Redis is back" });
    expect(await metric('cmk_dependency_up', 'redis')).toBe(1);
    expect(await metric('cmk_dependency_outages_total', 'redis')).toBe(1);
    for (const process of [env.api, worker()]) {
      await waitFor(() => outageLines(process.allLogs(), 'Redis').length >= 2, { timeoutMs: 15_000, description: `the end-of-outage line\n${process.logs()}` });
      const lines = outageLines(process.allLogs(), 'Redis');
      expect(lines.map((line) => line.level)).toEqual(['warn', 'warn']);
      expect(lines[0]?.message).toMatch(/^Redis outage started: redis:\/\/127\.0\.0\.1:\d+ unavailable since \d{4}-/);
      expect(lines[1]?.message).toMatch(/^Redis outage ended after [\d.]+ (ms|s|min)/);
      expectNoRawOutput(process);
    }
  }, 90_000);

  it('Redis: a worker whose Redis is gone exits on SIGTERM within the grace, with exit code 0', async () => {
    const before = outageLines(worker().allLogs(), 'Redis').length;
    await env.redis.kill();
    try {
      await waitFor(() => outageLines(worker().allLogs(), 'Redis').length > before, { timeoutMs: 15_000, description: `the worker to notice the outage\n${worker().logs()}` });
      const { code, elapsedMs } = await sigtermWithinGrace(worker());
      expect(code).toBe(0);
      expect(elapsedMs).toBeLessThan(GRACE_MS);
      expectNoRawOutput(worker());
      expect(parseJsonLogs(worker().allLogs()).lines.map((line) => line.message)).toContain('SIGTERM: shutting down (grace 5.0 s)');

      // Started while Redis is down: it waits (one outage line) and still stops on SIGTERM.
      const late = await env.startWorker();
      await waitFor(() => outageLines(late.allLogs(), 'Redis').length > 0, { timeoutMs: 15_000, description: `the new worker's outage line\n${late.logs()}` });
      const stopping = await sigtermWithinGrace(late);
      expect(stopping.code).toBe(0);
      expect(stopping.elapsedMs).toBeLessThan(GRACE_MS);
      expect(parseJsonLogs(late.allLogs()).lines.some((line) => line.message.includes('started ('))).toBe(false);
      expectNoRawOutput(late);
    } finally {
      await env.redis.restart();
    }
    env.worker = await env.startWorker();
    await started(worker());
  }, 90_000);

  it('event store: /readyz 503 during the outage and 200 after; SIGTERM within the grace, also during start-up', async () => {
    const outage = await env.interruptEventStore();
    try {
      const during = await waitFor(
        async () => {
          const answer = await readiness();
          return answer.body.dependencies.find((d) => d.dependency === 'eventstore')?.up === false ? answer : undefined;
        },
        { timeoutMs: 20_000, description: 'readyz to report the event store outage' },
      );
      expect(during.status).toBe(503);
      expect(during.body.dependencies.find((d) => d.dependency === 'eventstore')).toMatchObject({ up: false, outages: 1 });
      expect(await metric('cmk_dependency_up', 'eventstore')).toBe(0);
      const current = worker();
      await waitFor(() => outageLines(current.allLogs(), 'event store').length > 0, { timeoutMs: 20_000, description: `the worker's outage line\n${current.logs()}` });
      const { code, elapsedMs } = await sigtermWithinGrace(current);
      expect(code).toBe(0);
      expect(elapsedMs).toBeLessThan(GRACE_MS);
      expectNoRawOutput(current);

      const late = await env.startWorker();
      await waitFor(() => outageLines(late.allLogs(), 'event store').length > 0 || parseJsonLogs(late.allLogs()).lines.some((l) => l.message.includes('started (')), {
        timeoutMs: 20_000,
        description: `the new worker to wait for the event store\n${late.logs()}`,
      });
      const stopping = await sigtermWithinGrace(late);
      expect(stopping.code).toBe(0);
      expect(stopping.elapsedMs).toBeLessThan(GRACE_MS);
      expectNoRawOutput(late);
    } finally {
      await outage.end();
    }
    await waitFor(async () => (await readiness()).status === 200, { timeoutMs: 20_000, description: 'readyz 200 once the event store is back' });
    expect(await metric('cmk_dependency_up', 'eventstore')).toBe(1);
    const api = outageLines(env.api.allLogs(), 'event store');
    expect(api.map((line) => line.message.split(':')[0])).toEqual(['event store outage started', expect.stringMatching(/^event store outage ended after/)]);
    expectNoRawOutput(env.api);
    env.worker = await env.startWorker();
    await started(worker());
  }, 120_000);
});
