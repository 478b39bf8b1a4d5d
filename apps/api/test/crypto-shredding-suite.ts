import Redis from 'ioredis';
import { waitFor, type HttpClient } from '@cmk/testing';
import { decodeDataKeyEvent, PLATFORM_KEY_ID } from '@cmk/domain';
import { LocalPlatformKeyProvider, OrgPlatformKeyProvider, OrgPlatformKeys, openOrgKeyStore, PlatformMasterKeyring } from '@cmk/key-providers';
import { E2eEnvironment, type DemoKey } from './e2e-environment';

const cmk = (org: string) => `/api/orgs/${org}/customer-managed-keys`;
const addBody = (name: string, key: DemoKey) => ({ name, type: 'aws_kms', awsKms: { roleArn: key.roleArn, keyArn: key.keyArn } });

interface Banner {
  id: string;
  state: 'running' | 'completed' | 'failed';
  done: number;
  failed: number;
}
interface HistoryEvent {
  type: string;
  data: Record<string, unknown>;
}

/**
 * "Revoking means revoked", end to end: once an org's move to its own key completes, nothing
 * the platform holds (the data directory, every event ever written, Redis, the master keyring)
 * unwraps any copy of that org's data keys. Runs on SQLite and on EventStoreDB (emulator).
 */
export function cryptoShreddingSuite(eventStore: 'sqlite' | 'esdb'): void {
  describe(`crypto-shredding on ${eventStore} (api + worker processes, Redis, KMS emulator)`, () => {
    let env: E2eEnvironment;

    beforeAll(async () => {
      env = await E2eEnvironment.start({ eventStore, worker: true, env: { CMK_REENCRYPT_BATCH_SIZE: '10', CMK_DATA_KEY_CACHE_TTL_MS: '1000' } });
    }, 120_000);
    afterAll(async () => {
      await env?.stop();
    });

    async function finished(admin: HttpClient, org: string, runId: string): Promise<Banner> {
      return waitFor(
        async () => {
          const response = await admin.get<Banner>(`${cmk(org)}/reencryption`);
          return response.body.id === runId && response.body.state !== 'running' ? response.body : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 200, description: () => `run ${runId} of ${org} to finish\n${env.worker?.logs() ?? ''}` },
      );
    }

    async function addKey(admin: HttpClient, org: string, name: string, key: DemoKey): Promise<{ id: string; runId: string }> {
      const added = await admin.post<{ key: { id: string }; reencryptionId: string | null }>(cmk(org), addBody(name, key));
      expect(added.status).toBe(201);
      return { id: added.body.key.id, runId: added.body.reencryptionId ?? '' };
    }

    async function history(admin: HttpClient, org: string): Promise<HistoryEvent[]> {
      return (await admin.get<{ events: HistoryEvent[] }>(`${cmk(org)}/history?limit=500`)).body.events;
    }

    const destroyedGenerations = async (admin: HttpClient, org: string) =>
      (await history(admin, org)).filter((e) => e.type === 'PlatformOrgKeyDestroyed').map((e) => e.data['generation']);

    async function encryptMany(admin: HttpClient, org: string, prefix: string, count: number): Promise<{ ciphertexts: string[]; values: string[] }> {
      const ciphertexts: string[] = [];
      const values: string[] = [];
      for (let i = 0; i < count; i++) {
        const value = `${prefix}-secret-${i}`;
        const response = await admin.post<{ ciphertexts: string[] }>(`/api/orgs/${org}/secrets/encrypt`, { scope: `${prefix}/${i}`, values: [value] });
        expect(response.status).toBe(200);
        ciphertexts.push(...response.body.ciphertexts);
        values.push(value);
      }
      return { ciphertexts, values };
    }

    /** Every platform-wrapped form ever written for the org's data keys, from every event in `$all`. */
    async function platformWrappedForms(org: string): Promise<Array<{ dataKeyId: string; wrapped: string }>> {
      const store = await env.openStore();
      try {
        const forms: Array<{ dataKeyId: string; wrapped: string }> = [];
        for (const raw of await store.readAll()) {
          if (!raw.streamId.startsWith('datakey-')) continue;
          const event = decodeDataKeyEvent(raw);
          if (event.data.orgId !== org || event.type === 'DataKeyUseReserved') continue;
          const underPlatform = event.type === 'DataKeyIssued' ? event.data.wrappedBy === PLATFORM_KEY_ID : event.data.to === PLATFORM_KEY_ID;
          if (underPlatform) forms.push({ dataKeyId: event.data.dataKeyId, wrapped: event.data.wrapped });
        }
        return forms;
      } finally {
        await store.close();
      }
    }

    /** Tries every platform unwrap path the code has on each form, with only the data directory. Returns how many succeeded. */
    async function offlineUnwraps(org: string, forms: ReadonlyArray<{ dataKeyId: string; wrapped: string }>): Promise<number> {
      const master = new LocalPlatformKeyProvider(await PlatformMasterKeyring.open({ dataDir: env.dataDir }));
      // The apps' own org key store: the SQLite file, or the EventStoreDB's streams (after their scavenge).
      const orgKeyStore = await openOrgKeyStore(env.dataDir, env.esdb?.url ?? env.postgres?.url);
      const paths = [master, new OrgPlatformKeyProvider(org, new OrgPlatformKeys(orgKeyStore, master, { cacheTtlMs: 1 }))];
      let succeeded = 0;
      try {
        for (const form of forms) {
          for (const path of paths) {
            const opened = await path.unwrap(Buffer.from(form.wrapped, 'base64'), { org, dataKey: form.dataKeyId }).then(
              () => true,
              () => false,
            );
            if (opened) succeeded += 1;
          }
        }
      } finally {
        await orgKeyStore.close();
      }
      return succeeded;
    }

    /** Every key and value in Redis (DUMP of each key), to check no wrapped form sits there. */
    async function redisDump(): Promise<Buffer> {
      const redis = new Redis(env.redis.url);
      try {
        const parts: Buffer[] = [];
        for (const key of await redis.keys('*')) {
          parts.push(Buffer.from(key), (await redis.dumpBuffer(key)) ?? Buffer.alloc(0));
        }
        return Buffer.concat(parts);
      } finally {
        redis.disconnect();
      }
    }

    async function restartApi(): Promise<void> {
      await env.api.stop();
      await env.startApi();
    }

    it('after the first key run completes, no platform path unwraps any copy; a disabled CMK stops every decrypt, re-enabled all succeed', async () => {
      const org = 'shred-org';
      const admin = await env.orgWithToken(org, 'enterprise');
      const { ciphertexts, values } = await encryptMany(admin, org, 'a', 12);
      const formsBefore = await platformWrappedForms(org);
      expect(formsBefore).toHaveLength(12);
      expect(await offlineUnwraps(org, formsBefore)).toBe(12); // the org platform key path opens them today

      const keyA = env.demoKey(org);
      const a = await addKey(admin, org, 'key-a', keyA);
      expect(await finished(admin, org, a.runId)).toMatchObject({ state: 'completed', done: 12, failed: 0 });
      expect(await waitFor(async () => (await destroyedGenerations(admin, org)).length > 0 && destroyedGenerations(admin, org), { description: 'PlatformOrgKeyDestroyed' })).toEqual([1]);
      const record = (await history(admin, org)).find((e) => e.type === 'PlatformOrgKeyDestroyed');
      expect(record?.data).toEqual({ orgId: org, generation: 1, reencryptionId: a.runId });

      // Stop everything that could hold a key in memory, then look at what is left on disk.
      await env.api.stop();
      for (const process of env.processes.filter((p) => p !== env.api)) await process.stop();
      const forms = await platformWrappedForms(org);
      expect(forms).toHaveLength(12);
      expect(await offlineUnwraps(org, forms)).toBe(0);
      const dump = await redisDump();
      for (const form of forms) {
        expect(dump.includes(Buffer.from(form.wrapped))).toBe(false);
        expect(dump.includes(Buffer.from(form.wrapped, 'base64'))).toBe(false);
      }

      // With the CMK disabled in KMS and the service restarted (no cached data key), nothing decrypts.
      env.kms.setKeyState(keyA.keyArn, 'Disabled');
      await env.startApi();
      await env.startWorker();
      const refused = await admin.post<{ error: { code: string } }>(`/api/orgs/${org}/secrets/decrypt`, { ciphertexts });
      expect(refused.status).toBe(422);
      expect(refused.body.error.code).toBe('KMS_KEY_DISABLED');
      for (const one of ciphertexts.slice(0, 3)) {
        expect((await admin.post<{ error: { code: string } }>(`/api/orgs/${org}/secrets/decrypt`, { ciphertexts: [one] })).body.error.code).toBe('KMS_KEY_DISABLED');
      }
      env.kms.setKeyState(keyA.keyArn, 'Enabled');
      const decrypted = await admin.post<{ values: string[] }>(`/api/orgs/${org}/secrets/decrypt`, { ciphertexts });
      expect(decrypted.body.values).toEqual(values);
    }, 300_000);

    it('disable-all creates generation 2; a second adoption destroys it (generation 1 stays destroyed)', async () => {
      const org = 'shred-again-org';
      const admin = await env.orgWithToken(org, 'enterprise');
      const first = await encryptMany(admin, org, 'b', 6);
      const a = await addKey(admin, org, 'key-a', env.demoKey(org));
      await finished(admin, org, a.runId);
      await waitFor(async () => (await destroyedGenerations(admin, org)).includes(1), { description: 'generation 1 destroyed' });

      const all = await admin.post<{ reencryptionId: string }>(`${cmk(org)}/disable-all`, {});
      expect(await finished(admin, org, all.body.reencryptionId)).toMatchObject({ state: 'completed', done: 6, failed: 0 });
      const second = await encryptMany(admin, org, 'c', 3);
      const back = await platformWrappedForms(org);
      expect(back.length).toBe(6 + 6 + 3); // first issue, rewrap back to platform, new issues
      expect(await offlineUnwraps(org, back)).toBe(9); // only generation 2 opens
      expect((await destroyedGenerations(admin, org)).sort()).toEqual([1]);

      const b = await addKey(admin, org, 'key-b', env.demoKey(org));
      expect(await finished(admin, org, b.runId)).toMatchObject({ state: 'completed', done: 9, failed: 0 });
      await waitFor(async () => (await destroyedGenerations(admin, org)).includes(2), { description: 'generation 2 destroyed' });
      expect(await offlineUnwraps(org, await platformWrappedForms(org))).toBe(0);
      await restartApi();
      const decrypted = await admin.post<{ values: string[] }>(`/api/orgs/${org}/secrets/decrypt`, { ciphertexts: [...first.ciphertexts, ...second.ciphertexts] });
      expect(decrypted.body.values).toEqual([...first.values, ...second.values]);
    }, 300_000);

    it('a failed first-key run keeps the org platform key (secrets decrypt); its successful retry destroys it', async () => {
      const org = 'shred-denied-org';
      const admin = await env.orgWithToken(org, 'enterprise');
      const { ciphertexts, values } = await encryptMany(admin, org, 'd', 10);
      const keyA = env.demoKey(org);
      env.kms.addFault({ operation: 'Encrypt', keyArn: keyA.keyArn, error: 'AccessDeniedException', count: 3 });
      const a = await addKey(admin, org, 'key-a', keyA);
      expect(await finished(admin, org, a.runId)).toMatchObject({ state: 'failed', done: 7, failed: 3 });
      expect(await destroyedGenerations(admin, org)).toEqual([]);
      await restartApi();
      expect((await admin.post<{ values: string[] }>(`/api/orgs/${org}/secrets/decrypt`, { ciphertexts })).body.values).toEqual(values);
      expect(await offlineUnwraps(org, await platformWrappedForms(org))).toBe(10);

      env.kms.clearFaults();
      const retried = await admin.post<{ reencryptionId: string }>(`${cmk(org)}/reencryption/retry`, {});
      expect(await finished(admin, org, retried.body.reencryptionId)).toMatchObject({ state: 'completed', done: 3, failed: 0 });
      await waitFor(async () => (await destroyedGenerations(admin, org)).includes(1), { description: 'generation 1 destroyed by the retry' });
      const record = (await history(admin, org)).find((e) => e.type === 'PlatformOrgKeyDestroyed');
      expect(record?.data['reencryptionId']).toBe(retried.body.reencryptionId);
      expect(await offlineUnwraps(org, await platformWrappedForms(org))).toBe(0);
      expect((await admin.post<{ values: string[] }>(`/api/orgs/${org}/secrets/decrypt`, { ciphertexts })).body.values).toEqual(values);
    }, 300_000);
  });
}
