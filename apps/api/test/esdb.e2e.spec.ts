import { waitFor, type HttpClient } from '@cmk/testing';
import { E2eEnvironment } from './e2e-environment';
import { KeyringTestHelper } from './reencryption-test-helper';

interface Summary {
  wrappingKeys: { keyId: string; dataKeys: number }[];
  totalDataKeys: number;
}
interface Banner {
  id: string;
  state: string;
  total: number;
  done: number;
  failed: number;
}

const cmk = (org: string) => `/api/orgs/${org}/customer-managed-keys`;
const SCOPES = 120;

/**
 * The same product, with EventStoreDB as the event store: the api and the worker connect to the
 * gRPC EventStoreDB emulator through the official client (`EVENTSTORE_URL`). Covers the three
 * re-encryption flows end to end, with secrets written before every change still decrypting.
 */
describe('on EventStoreDB (gRPC emulator): keys, secrets and all three re-encryption flows', () => {
  const org = 'esdb-org';
  let env: E2eEnvironment;
  let admin: HttpClient;
  let runs: KeyringTestHelper;
  const secrets: { ciphertext: string; value: string }[] = [];

  beforeAll(async () => {
    env = await E2eEnvironment.start({ eventStore: 'esdb', worker: true });
    runs = await KeyringTestHelper.open(await env.openStore());
    admin = await env.orgWithToken(org, 'enterprise');
  });

  afterAll(async () => {
    await runs?.close();
    await env?.stop();
  });

  const summary = async () => (await admin.get<Summary>(`/api/orgs/${org}/data-keys/summary`)).body;
  const countUnder = async (keyId: string) => (await summary()).wrappingKeys.find((k) => k.keyId === keyId)?.dataKeys ?? 0;
  const finished = async (reencryptionId: string) =>
    waitFor(
      async () => {
        const banner = (await admin.get<Banner>(`${cmk(org)}/reencryption`)).body;
        return banner.id === reencryptionId && banner.state !== 'running' ? banner : undefined;
      },
      { timeoutMs: 60_000, description: `run ${reencryptionId} to finish` },
    );
  const allSecretsDecrypt = async () => {
    const response = await admin.post<{ values: string[] }>(`/api/orgs/${org}/secrets/decrypt`, { ciphertexts: secrets.map((s) => s.ciphertext) });
    expect(response.status).toBe(200);
    expect(response.body.values).toEqual(secrets.map((s) => s.value));
  };

  it('issues data keys under the platform key through the secrets API', async () => {
    for (let i = 0; i < SCOPES; i++) {
      const value = `secret-${i}`;
      const response = await admin.post<{ ciphertexts: string[] }>(`/api/orgs/${org}/secrets/encrypt`, { scope: `env-${i}`, values: [value] });
      expect(response.status).toBe(200);
      secrets.push({ ciphertext: response.body.ciphertexts[0], value });
    }
    await waitFor(async () => (await countUnder('platform')) === SCOPES, { description: 'index of platform data keys' });
  });

  it('first key: every data key moves to the CMK, and every secret still decrypts', async () => {
    const key = env.demoKey(org);
    const added = await admin.post<{ key: { id: string }; reencryptionId: string }>(cmk(org), { name: 'Primary', type: 'aws_kms', awsKms: { roleArn: key.roleArn, keyArn: key.keyArn } });
    expect(added.status).toBe(201);
    const banner = await finished(added.body.reencryptionId);
    expect(banner).toMatchObject({ state: 'completed', total: SCOPES, done: SCOPES, failed: 0 });
    await waitFor(async () => (await countUnder(added.body.key.id)) === SCOPES, { description: 'data keys under the CMK' });
    expect(await countUnder('platform')).toBe(0);
    await allSecretsDecrypt();
  });

  it('disable with destination, then disable all: back to the platform key, nothing lost', async () => {
    const second = env.demoKey(org);
    const added = await admin.post<{ key: { id: string } }>(cmk(org), { name: 'Secondary', type: 'aws_kms', awsKms: { roleArn: second.roleArn, keyArn: second.keyArn } });
    expect(added.status).toBe(201);
    const list = (await admin.get<{ keys: { id: string; isDefault: boolean }[] }>(cmk(org))).body;
    const firstId = list.keys.find((k) => k.isDefault)!.id;
    expect((await admin.post(`${cmk(org)}/${added.body.key.id}/set-default`)).status).toBe(200);
    const disabled = await admin.post<{ reencryptionId: string }>(`${cmk(org)}/${firstId}/disable`, { destID: added.body.key.id });
    expect(disabled.status).toBe(202);
    expect(await finished(disabled.body.reencryptionId)).toMatchObject({ state: 'completed', done: SCOPES, failed: 0 });
    await waitFor(async () => (await countUnder(added.body.key.id)) === SCOPES, { description: 'data keys under the second CMK' });
    await allSecretsDecrypt();

    const all = await admin.post<{ reencryptionId: string }>(`${cmk(org)}/disable-all`);
    expect(all.status).toBe(202);
    expect(await finished(all.body.reencryptionId)).toMatchObject({ state: 'completed', done: SCOPES, failed: 0 });
    await waitFor(async () => (await countUnder('platform')) === SCOPES, { description: 'data keys back under the platform key' });
    await allSecretsDecrypt();
    const keys = (await admin.get<{ keys: { state: string }[]; defaultKeyId: string }>(cmk(org))).body;
    expect(keys.defaultKeyId).toBe('platform');
    expect(keys.keys.map((k) => k.state)).toEqual(['disabled', 'disabled']);
  });

  it('the event history replays from EventStoreDB: every run started, completed, in order', async () => {
    const types = (await runs.events(org)).map((e) => e.type).filter((t) => t.startsWith('Reencryption') && t !== 'ReencryptionProgressed');
    expect(types).toEqual(['ReencryptionStarted', 'ReencryptionCompleted', 'ReencryptionStarted', 'ReencryptionCompleted', 'ReencryptionStarted', 'ReencryptionCompleted']);
  });
});
