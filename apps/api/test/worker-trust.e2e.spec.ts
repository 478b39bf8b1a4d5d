import { Queue } from 'bullmq';
import { waitFor, type HttpClient } from '@cmk/testing';
import { bullConnection, QUEUES } from '@cmk/reencryption';
import { E2eEnvironment, type DemoKey } from './e2e-environment';
import { DataKeyFixture } from './reencryption-data-keys';
import { KeyringTestHelper } from './reencryption-test-helper';

interface Banner {
  id: string;
  state: 'running' | 'completed' | 'failed';
  done: number;
  failed: number;
  failuresByCode: Record<string, number>;
}

const cmk = (org: string) => `/api/orgs/${org}/customer-managed-keys`;

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/**
 * The worker trusts only the key ring: jobs name a run and data keys, never keys (a forged or
 * stale job is refused, not retried, and counted); every new wrapped form is checked before it
 * is appended (a wrong wrap leaves the data key under its old key); the queue dashboard is
 * read-only unless configured otherwise. Api and worker as processes, private Redis, the KMS
 * emulator's wrong-wrap faults.
 */
describe('a worker that trusts only the key ring (api + worker processes, Redis, KMS emulator)', () => {
  let env: E2eEnvironment;
  let keys: DataKeyFixture;
  let runs: KeyringTestHelper;
  let batches: Queue;

  beforeAll(async () => {
    env = await E2eEnvironment.start({ worker: true, env: { CMK_REENCRYPT_BATCH_SIZE: '50', CMK_REENCRYPT_PROGRESS_INTERVAL_MS: '500' } });
    for (const [name, value] of Object.entries({ AWS_ENDPOINT_URL_KMS: env.kms.url, AWS_ENDPOINT_URL_STS: env.kms.url, AWS_REGION: env.kms.region })) process.env[name] = value;
    keys = await DataKeyFixture.open(env.dataDir, env.baseUrl, await env.openStore());
    runs = await KeyringTestHelper.open(await env.openStore());
    batches = new Queue(QUEUES.batch, { connection: bullConnection(env.redis.url, 'worker-trust-test') });
  }, 120_000);

  afterAll(async () => {
    await batches?.close();
    await runs?.close();
    await keys?.close();
    await env?.stop();
  });

  async function finished(admin: HttpClient, org: string, runId: string): Promise<Banner> {
    return waitFor(
      async () => {
        const response = await admin.get<Banner>(`${cmk(org)}/reencryption`);
        return response.body.id === runId && response.body.state !== 'running' ? response.body : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200, description: `run ${runId} of ${org} to finish\n${env.worker?.logs() ?? ''}` },
    );
  }

  async function addKey(admin: HttpClient, org: string, name: string, key: DemoKey): Promise<{ id: string; runId: string }> {
    const added = await admin.post<{ key: { id: string }; reencryptionId: string | null }>(cmk(org), { name, type: 'aws_kms', awsKms: { roleArn: key.roleArn, keyArn: key.keyArn } });
    expect(added.status).toBe(201);
    return { id: added.body.key.id, runId: added.body.reencryptionId ?? '' };
  }

  /** An org whose 200 data keys are under key A, and key B (default) ready to be the destination of A's disable. */
  async function orgWithTwoKeys(org: string): Promise<{ admin: HttpClient; ids: string[]; a: { id: string }; b: { id: string }; keyB: DemoKey }> {
    const admin = await env.orgWithToken(org, 'enterprise');
    const ids = await keys.issuePlatformKeys(org, 200);
    const a = await addKey(admin, org, 'key-a', env.demoKey(org));
    expect(await finished(admin, org, a.runId)).toMatchObject({ state: 'completed', done: 200 });
    const keyB = env.demoKey(org);
    const b = await addKey(admin, org, 'key-b', keyB);
    expect((await admin.post(`${cmk(org)}/${b.id}/set-default`, {})).status).toBe(200);
    return { admin, ids, a, b, keyB };
  }

  /** Data keys still under `keyId` that no run ever rewrapped since (nothing was appended to them). */
  async function untouchedUnder(ids: readonly string[], keyId: string, runId: string): Promise<number> {
    let n = 0;
    for (const id of ids) {
      const state = await keys.state(id);
      if (state.status === 'issued' && state.wrappedBy === keyId && !state.rewrappedBy.includes(runId)) n += 1;
    }
    return n;
  }

  it('a destination wrap under another key (KeyId check, the default) is caught: nothing appended, the keys stay under their old key, the retry completes', async () => {
    const org = 'redirected-org';
    const { admin, ids, a, b, keyB } = await orgWithTwoKeys(org);
    // The role may use another key too, so the wrong wrap succeeds at KMS: only the check can catch it.
    const other = env.kms.createKey({ description: 'not the destination' });
    env.kms.registerRole({
      roleArn: keyB.roleArn,
      trust: { issuer: `${env.baseUrl}/oidc`, audience: `aws:${org}`, subject: `cmk:cmk:organization.login:${org}` },
      allow: [{ keyArn: keyB.keyArn, actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'] }, { keyArn: other.keyArn, actions: ['kms:Encrypt', 'kms:Decrypt'] }],
    });
    env.kms.addFault({ operation: 'Encrypt', keyArn: keyB.keyArn, redirectKeyArn: other.keyArn, count: 17 });
    const disabled = await admin.post<{ reencryptionId: string }>(`${cmk(org)}/${a.id}/disable`, { destID: b.id });
    expect(disabled.status).toBe(202);
    const run = await finished(admin, org, disabled.body.reencryptionId);
    expect(run).toMatchObject({ state: 'failed', done: 183, failed: 17, failuresByCode: { REWRAP_CHECK_FAILED: 17 } });
    expect(await keys.wrappedByCounts(ids)).toEqual({ [a.id]: 17, [b.id]: 183 });
    expect(await untouchedUnder(ids, a.id, disabled.body.reencryptionId)).toBe(17);
    expect(await keys.unwrapFailures(org, await runs.state(org), ids)).toEqual([]);

    const retried = await admin.post<{ reencryptionId: string }>(`${cmk(org)}/reencryption/retry`, {});
    expect(retried.status).toBe(202);
    expect(await finished(admin, org, retried.body.reencryptionId)).toMatchObject({ state: 'completed', done: 17, failed: 0 });
    expect(await keys.wrappedByCounts(ids)).toEqual({ [b.id]: 200 });
  }, 300_000);

  it('with CMK_REWRAP_CHECK=decrypt a damaged destination wrap is caught too (it does not open to the plaintext)', async () => {
    const first = env.worker;
    await first?.stop();
    env.worker = undefined;
    await env.startWorker({ CMK_REWRAP_CHECK: 'decrypt' });
    const org = 'damaged-org';
    const { admin, ids, a, b, keyB } = await orgWithTwoKeys(org);
    env.kms.addFault({ operation: 'Encrypt', keyArn: keyB.keyArn, corruptCiphertext: true, count: 11 });
    const disabled = await admin.post<{ reencryptionId: string }>(`${cmk(org)}/${a.id}/disable`, { destID: b.id });
    const run = await finished(admin, org, disabled.body.reencryptionId);
    expect(run).toMatchObject({ state: 'failed', done: 189, failed: 11, failuresByCode: { REWRAP_CHECK_FAILED: 11 } });
    expect(await untouchedUnder(ids, a.id, disabled.body.reencryptionId)).toBe(11);
    expect(await keys.unwrapFailures(org, await runs.state(org), ids)).toEqual([]);
    // One Decrypt per moved key checks it (the first run's and the disable run's Encrypts are unchanged).
    const stats = env.kms.stats();
    expect(stats.byKeyArn[keyB.keyArn]).toBeGreaterThanOrEqual(200 * 2);
  }, 300_000);

  it('refuses forged and stale batch jobs at once (no retry), touches none of their data keys, and counts them', async () => {
    const org = 'forged-org';
    const admin = await env.orgWithToken(org, 'enterprise');
    const ids = await keys.issuePlatformKeys(org, 10);
    const a = await addKey(admin, org, 'key-a', env.demoKey(org));
    await finished(admin, org, a.runId);
    const before = await keys.wrappedByCounts(ids);
    expect(before).toEqual({ [a.id]: 10 });

    const attacker = env.demoKey(org);
    const forged = [
      // A run id the org never had.
      { id: 'forged-unknown', data: { orgId: org, reencryptionId: 're-00000000000000000000000000000000', round: 1, dataKeyIds: ids }, message: 'is not a run of this organisation' },
      // A payload in the previous release's shape, naming the attacker's key, for a finished run.
      { id: 'forged-legacy', data: { orgId: org, reencryptionId: a.runId, from: [a.id], to: attacker.keyArn, round: 9, dataKeyIds: ids }, message: 'is not running' },
      // Not a payload at all.
      { id: 'forged-malformed', data: { orgId: org, round: 1 }, message: 'Malformed batch job payload: reencryptionId' },
    ];
    for (const job of forged) await batches.add('rewrap-batch', job.data, { jobId: job.id, attempts: 5, backoff: { type: 'fixed', delay: 10 } });
    for (const job of forged) {
      const failed = await waitFor(
        // The state first, then the job: a job read before it failed has no failedReason yet.
        async () => ((await batches.getJobState(job.id)) === 'failed' ? batches.getJob(job.id) : undefined),
        { timeoutMs: 30_000, description: `forged job ${job.id} to be refused` },
      );
      // Started once, and failed for good: no attempt of the five was left to retry it.
      expect(failed.attemptsStarted).toBe(1);
      expect(await failed.getState()).toBe('failed');
      expect(failed.failedReason).toContain(job.message);
    }
    expect(await keys.wrappedByCounts(ids)).toEqual(before);

    const text = await waitFor(
      async () => {
        const response = await fetch(`${env.baseUrl}/metrics`, { headers: { authorization: `Bearer ${env.operatorToken}` } });
        const body = await response.text();
        return sample(body, 'cmk_reencryption_jobs_refused_total{queue="batch",reason="malformed"}') === 1 ? body : undefined;
      },
      { timeoutMs: 15_000, description: 'the refusals to reach /metrics' },
    );
    expect(sample(text, 'cmk_reencryption_jobs_refused_total{queue="batch",reason="unknown_run"}')).toBe(1);
    expect(sample(text, 'cmk_reencryption_jobs_refused_total{queue="batch",reason="run_not_running"}')).toBe(1);
  }, 300_000);

  describe('the queue dashboard', () => {
    const api = (path: string) => `${env.baseUrl}/admin/queues/api/queues${path}`;
    const operator = () => ({ authorization: `Bearer ${env.operatorToken}` });

    it('is read-only by default: its write routes answer 405 and change nothing', async () => {
      const list = await fetch(`${api('')}?activeQueue=${QUEUES.batch}`, { headers: operator() });
      expect(list.status).toBe(200);
      const queues = ((await list.json()) as { queues: { name: string; readOnlyMode: boolean }[] }).queues;
      expect(queues.find((q) => q.name === QUEUES.batch)?.readOnlyMode).toBe(true);

      const pause = await fetch(api(`/${QUEUES.batch}/pause`), { method: 'PUT', headers: operator() });
      expect(pause.status).toBe(405);
      const add = await fetch(api(`/${QUEUES.batch}/add`), {
        method: 'POST',
        headers: { ...operator(), 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'rewrap-batch', data: { orgId: 'x', reencryptionId: 'y', round: 1, dataKeyIds: ['z'] } }),
      });
      expect(add.status).toBe(405);
      expect(await batches.isPaused()).toBe(false);
      expect(await batches.getJobCountByTypes('waiting', 'delayed', 'active')).toBe(0);
    });

    it('allows its write actions when CMK_QUEUE_DASHBOARD_WRITE=true', async () => {
      await env.api.stop();
      await env.startApi({ CMK_QUEUE_DASHBOARD_WRITE: 'true' });
      const pause = await fetch(api(`/${QUEUES.batch}/pause`), { method: 'PUT', headers: operator() });
      expect(pause.status).toBe(200);
      expect(await batches.isPaused()).toBe(true);
      const resume = await fetch(api(`/${QUEUES.batch}/resume`), { method: 'PUT', headers: operator() });
      expect(resume.status).toBe(200);
      expect(await batches.isPaused()).toBe(false);
    }, 120_000);
  });
});
