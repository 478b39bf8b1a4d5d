import Redis from 'ioredis';
import { waitFor, type HttpClient } from '@cmk/testing';
import { fleetKeys } from '@cmk/reencryption';
import { E2eEnvironment, type DemoKey, type E2eEventStore } from './e2e-environment';
import { DataKeyFixture } from './reencryption-data-keys';
import { openSse } from './reencryption-sse';
import { KeyringTestHelper } from './reencryption-test-helper';
import { runThroughOutage, type OutageRunContext } from './reencryption-outage';

interface Banner {
  id: string;
  state: 'running' | 'completed' | 'failed';
  reason: string;
  total: number;
  done: number;
  failed: number;
  failuresByCode: Record<string, number>;
}

const cmk = (org: string) => `/api/orgs/${org}/customer-managed-keys`;
const addBody = (name: string, key: DemoKey) => ({ name, type: 'aws_kms', awsKms: { roleArn: key.roleArn, keyArn: key.keyArn } });

/**
 * The re-encryption fleet end to end: api and worker(s) as separate processes over a private
 * Redis and the KMS/STS emulator, on every event store (`reencryption.e2e.spec.ts` runs it on
 * the embedded SQLite store, `reencryption.esdb.e2e.spec.ts` on EventStoreDB through the gRPC
 * emulator, `reencryption.postgres.e2e.spec.ts` on a PostgreSQL database of its own). Each test
 * owns its org.
 */
export function reencryptionSuite(eventStore: E2eEventStore): void {
  describe(`re-encryption worker fleet on ${eventStore} (api + worker processes, Redis, KMS emulator)`, () => {
    let env: E2eEnvironment;
    let keys: DataKeyFixture;
    let runs: KeyringTestHelper;
    let redis: Redis;

    beforeAll(async () => {
      env = await E2eEnvironment.start({
        eventStore,
        worker: true,
        redisAppendOnly: true,
        env: { CMK_REENCRYPT_BATCH_SIZE: '100', CMK_JOB_LOCK_MS: '3000', CMK_REENCRYPT_PROGRESS_INTERVAL_MS: '500', CMK_KMS_THROTTLE_RETRIES: '10', LOG_FORMAT: 'json' },
      });
      for (const [name, value] of Object.entries({ AWS_ENDPOINT_URL_KMS: env.kms.url, AWS_ENDPOINT_URL_STS: env.kms.url, AWS_REGION: env.kms.region })) process.env[name] = value;
      keys = await DataKeyFixture.open(env.dataDir, env.baseUrl, await env.openStore(), env.esdb?.url ?? env.postgres?.url);
      runs = await KeyringTestHelper.open(await env.openStore());
      redis = new Redis(env.redis.url);
    }, 120_000);

    afterAll(async () => {
      redis?.disconnect();
      await runs?.close();
      await keys?.close();
      await env?.stop();
    });

    async function finished(admin: HttpClient, org: string, runId: string, timeoutMs = 120_000): Promise<Banner> {
      return waitFor(
        async () => {
          const response = await admin.get<Banner>(`${cmk(org)}/reencryption`);
          return response.body.id === runId && response.body.state !== 'running' ? response.body : undefined;
        },
        { timeoutMs, intervalMs: 200, description: () => `run ${runId} of ${org} to finish\n${env.worker?.logs() ?? ''}` },
      );
    }

    async function addKey(admin: HttpClient, org: string, name: string, key: DemoKey): Promise<{ id: string; runId: string | null }> {
      const added = await admin.post<{ key: { id: string }; reencryptionId: string | null }>(cmk(org), addBody(name, key));
      expect(added.status).toBe(201);
      return { id: added.body.key.id, runId: added.body.reencryptionId };
    }

    it('moves every data key through the three flows: first key, disable with destination, disable all', async () => {
      const org = 'flows-org';
      const admin = await env.orgWithToken(org, 'enterprise');
      const ids = await keys.issuePlatformKeys(org, 2000);
      const keyA = env.demoKey(org);
      const a = await addKey(admin, org, 'key-a', keyA);
      expect(a.runId).not.toBeNull();
      const first = await finished(admin, org, a.runId ?? '');
      expect(first).toMatchObject({ state: 'completed', done: 2000, failed: 0, total: 2000 });
      expect(await keys.wrappedByCounts(ids)).toEqual({ [a.id]: 2000 });
      expect(await keys.unwrapFailures(org, await runs.state(org), ids)).toEqual([]);

      const b = await addKey(admin, org, 'key-b', env.demoKey(org));
      expect((await admin.post(`${cmk(org)}/${b.id}/set-default`, {})).status).toBe(200);
      const disabled = await admin.post<{ reencryptionId: string }>(`${cmk(org)}/${a.id}/disable`, { destID: b.id });
      expect(disabled.status).toBe(202);
      expect(await finished(admin, org, disabled.body.reencryptionId)).toMatchObject({ state: 'completed', done: 2000, failed: 0 });
      expect(await keys.wrappedByCounts(ids)).toEqual({ [b.id]: 2000 });
      const list = await admin.get<{ keys: { id: string; state: string }[] }>(cmk(org));
      expect(list.body.keys.find((k) => k.id === a.id)?.state).toBe('disabled');

      const all = await admin.post<{ reencryptionId: string }>(`${cmk(org)}/disable-all`, {});
      expect(all.status).toBe(202);
      expect(await finished(admin, org, all.body.reencryptionId)).toMatchObject({ state: 'completed', done: 2000, failed: 0 });
      expect(await keys.wrappedByCounts(ids)).toEqual({ platform: 2000 });
      expect(await keys.unwrapFailures(org, await runs.state(org), ids)).toEqual([]);
    }, 400_000);

    it('fails a run with exact counts on access denied, keeps those keys decryptable, and completes on retry', async () => {
      const org = 'denied-org';
      const admin = await env.orgWithToken(org, 'enterprise');
      const ids = await keys.issuePlatformKeys(org, 1000);
      const keyA = env.demoKey(org);
      const a = await addKey(admin, org, 'key-a', keyA);
      await finished(admin, org, a.runId ?? '');
      const b = await addKey(admin, org, 'key-b', env.demoKey(org));
      expect((await admin.post(`${cmk(org)}/${b.id}/set-default`, {})).status).toBe(200);

      env.kms.addFault({ operation: 'Decrypt', keyArn: keyA.keyArn, error: 'AccessDeniedException', count: 37 });
      const disabled = await admin.post<{ reencryptionId: string }>(`${cmk(org)}/${a.id}/disable`, { destID: b.id });
      const failedRun = await finished(admin, org, disabled.body.reencryptionId);
      expect(failedRun).toMatchObject({ state: 'failed', done: 963, failed: 37, failuresByCode: { KMS_ACCESS_DENIED: 37 } });
      expect(await keys.wrappedByCounts(ids)).toEqual({ [a.id]: 37, [b.id]: 963 });
      expect(await keys.unwrapFailures(org, await runs.state(org), ids)).toEqual([]);

      env.kms.clearFaults();
      const retried = await admin.post<{ reencryptionId: string }>(`${cmk(org)}/reencryption/retry`, {});
      expect(retried.status).toBe(202);
      expect(await finished(admin, org, retried.body.reencryptionId)).toMatchObject({ state: 'completed', reason: 'retry', done: 37, failed: 0 });
      expect(await keys.wrappedByCounts(ids)).toEqual({ [b.id]: 1000 });
    }, 300_000);

    it('completes under 20% injected KMS throttling', async () => {
      const org = 'throttle-org';
      const admin = await env.orgWithToken(org, 'enterprise');
      const ids = await keys.issuePlatformKeys(org, 1500);
      const key = env.demoKey(org);
      const fault = env.kms.addFault({ operation: 'Encrypt', keyArn: key.keyArn, error: 'ThrottlingException', rate: 0.2 });
      const a = await addKey(admin, org, 'key-a', key);
      const run = await finished(admin, org, a.runId ?? '');
      env.kms.clearFaults();
      expect(fault.id).toBeDefined();
      expect(run).toMatchObject({ state: 'completed', done: 1500, failed: 0 });
      expect(env.kms.stats().throttled).toBeGreaterThan(0);
      expect(await keys.wrappedByCounts(ids)).toEqual({ [a.id]: 1500 });
    }, 300_000);

    it('loses nothing when the worker is SIGKILLed mid-run and restarted', async () => {
      const org = 'sigkill-org';
      const admin = await env.orgWithToken(org, 'enterprise');
      const ids = await keys.issuePlatformKeys(org, 3000);
      // Slow KMS down so the kill lands mid-run.
      env.kms.addFault({ operation: 'Encrypt', latencyMs: 20 });
      const a = await addKey(admin, org, 'key-a', env.demoKey(org));
      const runId = a.runId ?? '';
      await waitFor(async () => Number(await redis.hget(fleetKeys.counters(runId), 'done')) >= 300, { timeoutMs: 60_000, description: 'some progress' });
      const worker = env.worker;
      if (!worker) throw new Error('no worker');
      await worker.kill('SIGKILL');
      const doneAtKill = Number(await redis.hget(fleetKeys.counters(runId), 'done'));
      expect(doneAtKill).toBeLessThan(3000);
      env.kms.clearFaults();
      await worker.restart();
      const run = await finished(admin, org, runId, 180_000);
      expect(run).toMatchObject({ state: 'completed', done: 3000, failed: 0 });
      expect(await keys.wrappedByCounts(ids)).toEqual({ [a.id]: 3000 });
    }, 300_000);

    it('shuts down gracefully on SIGTERM mid-run (exit 0), and a new worker finishes the run', async () => {
      const org = 'sigterm-org';
      const admin = await env.orgWithToken(org, 'enterprise');
      const ids = await keys.issuePlatformKeys(org, 1500);
      env.kms.addFault({ operation: 'Encrypt', latencyMs: 20 });
      const a = await addKey(admin, org, 'key-a', env.demoKey(org));
      const runId = a.runId ?? '';
      await waitFor(async () => Number(await redis.hget(fleetKeys.counters(runId), 'done')) >= 200, { timeoutMs: 60_000, description: 'some progress' });
      const worker = env.worker;
      if (!worker) throw new Error('no worker');
      expect(await worker.kill('SIGTERM')).toBe(0);
      env.kms.clearFaults();
      await worker.restart();
      const run = await finished(admin, org, runId, 180_000);
      expect(run).toMatchObject({ state: 'completed', done: 1500, failed: 0 });
      expect(await keys.wrappedByCounts(ids)).toEqual({ [a.id]: 1500 });
    }, 300_000);

    it('shares one run between two worker processes', async () => {
      const org = 'two-workers-org';
      const admin = await env.orgWithToken(org, 'enterprise');
      const ids = await keys.issuePlatformKeys(org, 2000);
      await redis.del(fleetKeys.batchesByWorker);
      const second = await env.startWorker({ CMK_WORKER_NAME: 'second-worker' });
      env.kms.addFault({ operation: 'Encrypt', latencyMs: 5 });
      try {
        const a = await addKey(admin, org, 'key-a', env.demoKey(org));
        expect(await finished(admin, org, a.runId ?? '')).toMatchObject({ state: 'completed', done: 2000 });
        const byWorker = await redis.hgetall(fleetKeys.batchesByWorker);
        expect(Object.keys(byWorker).length).toBe(2);
        expect(Number(byWorker['second-worker'])).toBeGreaterThan(0);
        expect(Object.values(byWorker).every((n) => Number(n) > 0)).toBe(true);
        expect(await keys.wrappedByCounts(ids)).toEqual({ [a.id]: 2000 });
      } finally {
        env.kms.clearFaults();
        await second.stop();
      }
    }, 300_000);

    it('streams the live banner over SSE to admins until the run finishes; members get 403, other orgs 404', async () => {
      const org = 'sse-org';
      const admin = await env.orgWithToken(org, 'enterprise');
      const member = await env.tokenFor(org, 'member');
      const outsider = await env.orgWithToken('sse-other-org', 'enterprise');
      const adminToken = await env.operator().post<{ token: string }>(`/api/admin/orgs/${org}/tokens`, { user: 'sse-admin', role: 'admin' });
      await keys.issuePlatformKeys(org, 1200);
      // 64 KMS calls in flight at 200 ms each: about 4 s, several poll intervals of the stream.
      env.kms.addFault({ operation: 'Encrypt', latencyMs: 200 });
      try {
        const a = await addKey(admin, org, 'key-a', env.demoKey(org));
        const runId = a.runId ?? '';
        const stream = await openSse(`${env.baseUrl}${cmk(org)}/reencryption/events`, adminToken.body.token);
        expect(stream.status).toBe(200);
        expect(stream.contentType).toContain('text/event-stream');
        expect((await member.get(`${cmk(org)}/reencryption/events`)).status).toBe(403);
        const foreign = await outsider.get<{ error: { code: string } }>(`${cmk(org)}/reencryption/events`);
        expect(foreign.status).toBe(404);

        const events = await stream.events;
        const banners = events.map((e) => ({ event: e.event, id: e.id, banner: JSON.parse(e.data) as Banner }));
        expect(banners.length).toBeGreaterThanOrEqual(2);
        expect(banners.every((b) => b.event === 'reencryption' && b.banner.id === runId && b.id.startsWith(`${runId}-`))).toBe(true);
        expect(banners[0].banner.state).toBe('running');
        // The stream ends with the event that shows the run finished, and counts never go back.
        expect(banners[banners.length - 1].banner).toMatchObject({ state: 'completed', done: 1200, failed: 0, total: 1200 });
        expect(banners.slice(0, -1).every((b) => b.banner.state === 'running')).toBe(true);
        const done = banners.map((b) => b.banner.done);
        expect(done).toEqual([...done].sort((x, y) => x - y));
        expect(banners.some((b) => b.banner.state === 'running' && b.banner.done > 0 && b.banner.done < 1200)).toBe(true);
      } finally {
        env.kms.clearFaults();
      }
    }, 120_000);

    // Fewer keys on EventStoreDB: issuing them through the in-process emulator is the slow part.
    const outageContext = (): OutageRunContext => ({ env, keys, runs, redis, keysPerRun: eventStore === 'esdb' ? 1_500 : 3_000, addKey: (admin, org, key) => addKey(admin, org, 'key-a', key), finished });

    it('completes with exact counts when Redis is down for 20 s mid-run and restarted on the same port; no restart, a handful of log lines', async () => {
      await runThroughOutage(outageContext(), 'redis-restart-org', 20_000, 'Redis', async () => {
        await env.redis.kill();
        return { end: () => env.redis.restart() };
      });
    }, 300_000);

    it(`completes with exact counts when the event store is unavailable mid-run (${{ esdb: 'emulator stopped and restarted', postgres: 'database refusing and dropping connections', sqlite: 'SQLite write-locked by another connection' }[eventStore]})`, async () => {
      await runThroughOutage(outageContext(), 'eventstore-outage-org', 10_000, 'event store', () => env.interruptEventStore());
    }, 300_000);
  });
}
