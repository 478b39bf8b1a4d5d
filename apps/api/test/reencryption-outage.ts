import type Redis from 'ioredis';
import { waitFor, type HttpClient } from '@cmk/testing';
import { fleetKeys } from '@cmk/reencryption';
import type { DemoKey, E2eEnvironment } from './e2e-environment';
import { outageLines, parseJsonLogs } from './json-logs';
import type { DataKeyFixture } from './reencryption-data-keys';
import type { KeyringTestHelper } from './reencryption-test-helper';

/** Warning lines an app may write about one outage mid-run (start, end, lost job locks). */
const HANDFUL = 6;

/** What the re-encryption suite shares with its outage scenarios. */
export interface OutageRunContext {
  readonly env: E2eEnvironment;
  readonly keys: DataKeyFixture;
  readonly runs: KeyringTestHelper;
  readonly redis: Redis;
  /**
   * Data keys of each outage run. The issue's demonstration uses 20 000; a few thousand keep the
   * suite's time modest while the outage still starts mid-run (each test checks done > 0 and <
   * total when the outage starts).
   */
  readonly keysPerRun: number;
  /** Adds the org's first key (starting a run). */
  addKey(admin: HttpClient, org: string, key: DemoKey): Promise<{ id: string; runId: string | null }>;
  /** Waits for the run to leave `running`; resolves with the banner. */
  finished(admin: HttpClient, org: string, runId: string, timeoutMs?: number): Promise<{ state: string; done: number; failed: number; total: number }>;
}

/**
 * An outage of `OUTAGE_MS` in the middle of a run, with no process restarted: the run completes
 * with exact counts, every data key unwraps, `/readyz` answers 503 throughout the outage, and
 * each app logs it as a handful of JSON lines (no raw error output).
 */
export async function runThroughOutage(
  { env, keys, runs, redis, addKey, finished, keysPerRun }: OutageRunContext,
  org: string,
  outageMs: number,
  dependency: 'Redis' | 'event store',
  interrupt: () => Promise<{ end(): Promise<void> }>,
): Promise<void> {
  const admin = await env.orgWithToken(org, 'enterprise');
  const ids = await keys.issuePlatformKeys(org, keysPerRun);
  // About 1 000 keys/s at the default concurrency: the outage lands mid-run.
  env.kms.addFault({ operation: 'Encrypt', latencyMs: 60 });
  const worker = env.worker;
  if (!worker) throw new Error('no worker');
  const processes = [env.api, worker];
  const pids = processes.map((p) => p.pid);
  const logOffsets = processes.map((p) => p.allLogs().length);
  try {
    const a = await addKey(admin, org, env.demoKey(org));
    const runId = a.runId ?? '';
    // Mid-flight: some keys done, not all.
    await waitFor(async () => Number(await redis.hget(fleetKeys.counters(runId), 'done')) >= 300, { timeoutMs: 60_000, description: 'some progress' });
    expect(Number(await redis.hget(fleetKeys.counters(runId), 'done'))).toBeLessThan(keysPerRun);
    const outage = await interrupt();
    const statuses: number[] = [];
    try {
      await waitFor(async () => (await env.anonymous().get('/readyz')).status === 503, { timeoutMs: 20_000, description: 'readyz 503 during the outage' });
      const since = Date.now();
      // The outage lasts `outageMs`; readiness is asked all along and must say 503 every time.
      await waitFor(
        async () => {
          statuses.push((await env.anonymous().get('/readyz')).status);
          return Date.now() - since >= outageMs;
        },
        { timeoutMs: outageMs + 30_000, intervalMs: 500, description: 'the outage to last' },
      );
    } finally {
      await outage.end();
    }
    expect(statuses.length).toBeGreaterThan(3);
    expect(statuses.filter((status) => status !== 503)).toEqual([]);
    env.kms.clearFaults();
    const run = await finished(admin, org, runId, 180_000);
    expect(run).toMatchObject({ state: 'completed', done: keysPerRun, failed: 0, total: keysPerRun });
    expect(await keys.wrappedByCounts(ids)).toEqual({ [a.id]: keysPerRun });
    expect(await keys.unwrapFailures(org, await runs.state(org), ids)).toEqual([]);
    await waitFor(async () => (await env.anonymous().get('/readyz')).status === 200, { timeoutMs: 20_000, description: 'readyz 200 after the outage' });
    // Nothing was restarted: the same processes, still running.
    expect(processes.map((p) => p.pid)).toEqual(pids);
    expect(processes.every((p) => p.running)).toBe(true);
    for (const [i, process] of processes.entries()) {
      // The line may still be in the pipe when the HTTP answer has arrived.
      await waitFor(() => outageLines(process.allLogs().slice(logOffsets[i]), dependency).some((line) => line.message.includes('outage ended')), {
        timeoutMs: 20_000,
        description: `the end-of-outage line\n${process.logs()}`,
      });
      const output = process.allLogs().slice(logOffsets[i]);
      const { lines, raw } = parseJsonLogs(output);
      expect(raw).toEqual([]);
      const outageLog = outageLines(output, dependency).map((line) => line.message);
      expect(outageLog[0]).toMatch(new RegExp(`^${dependency} outage started`));
      expect(outageLog[outageLog.length - 1]).toMatch(new RegExp(`^${dependency} outage ended after`));
      // A handful: the outage's start and end, and its consequences summarised (jobs that lost their lock).
      // (Node's own notices, such as the AWS SDK's "upgrade Node" warning, are not about the outage.)
      const warnings = lines.filter((line) => (line.level === 'warn' || line.level === 'error') && line.context !== 'node').map((line) => line.message);
      expect(warnings.length <= HANDFUL ? [] : warnings).toEqual([]);
    }
  } finally {
    env.kms.clearFaults();
  }
}

