import { waitFor, type HttpClient } from '@cmk/testing';
import { E2eEnvironment } from './e2e-environment';

interface Summary {
  wrappingKeys: { keyId: string; dataKeys: number }[];
  totalDataKeys: number;
}
interface Banner {
  id: string;
  state: 'running' | 'completed' | 'failed';
  total: number;
  done: number;
  failed: number;
}

const secrets = (org: string) => `/api/orgs/${org}/secrets`;
const cmk = (org: string) => `/api/orgs/${org}/customer-managed-keys`;

/**
 * Data-key bounds with the built apps and tiny limits: a scope goes through generations after
 * 3 encryptions each, a re-encryption run moves every generation, and a new scope beyond the
 * org's limit answers 409 `DATA_KEY_LIMIT_REACHED`.
 */
describe('data-key bounds over HTTP (api + worker processes, SQLite, Redis, KMS emulator)', () => {
  let env: E2eEnvironment;

  beforeAll(async () => {
    env = await E2eEnvironment.start({
      worker: true,
      env: { CMK_DATA_KEY_MAX_USES: '3', CMK_DATA_KEY_RESERVE_BLOCK: '3', CMK_MAX_DATA_KEYS_PER_ORG: '2', CMK_REENCRYPT_PROGRESS_INTERVAL_MS: '500' },
    });
  }, 120_000);

  afterAll(async () => {
    await env?.stop();
  });

  async function encrypt(client: HttpClient, org: string, scope: string, values: string[]): Promise<string[]> {
    const response = await client.post<{ ciphertexts: string[] }>(`${secrets(org)}/encrypt`, { scope, values });
    expect([response.status, response.body]).toEqual([200, expect.objectContaining({ ciphertexts: expect.any(Array) })]);
    return response.body.ciphertexts;
  }

  it('starts a new generation every 3 encryptions; a re-encryption run moves every generation and all of them decrypt', async () => {
    const org = 'bounds-gen';
    const admin = await env.orgWithToken(org, 'enterprise');
    const member = await env.tokenFor(org, 'member');
    const values = Array.from({ length: 10 }, (_, i) => `value-${i}`);
    const ciphertexts: string[] = [];
    for (const value of values) ciphertexts.push(...(await encrypt(member, org, 'busy', [value])));
    const ids = new Set(ciphertexts.map((c) => c.split('.')[1]));
    expect(ids.size).toBe(4); // 3 + 3 + 3 + 1
    const generations = await waitFor(
      async () => {
        const response = await admin.get<Summary>(`/api/orgs/${org}/data-keys/summary`);
        return response.body.totalDataKeys === ids.size ? response.body : undefined;
      },
      { timeoutMs: 10_000, description: 'every generation in the data-key summary' },
    );
    expect(generations.wrappingKeys.find((k) => k.keyId === 'platform')?.dataKeys).toBe(4);

    const key = env.demoKey(org);
    const added = await admin.post<{ key: { id: string }; reencryptionId: string }>(cmk(org), { name: 'own', type: 'aws_kms', awsKms: { roleArn: key.roleArn, keyArn: key.keyArn } });
    expect(added.status).toBe(201);
    const banner = await waitFor(
      async () => {
        const response = await admin.get<Banner>(`${cmk(org)}/reencryption`);
        return response.body.id === added.body.reencryptionId && response.body.state !== 'running' ? response.body : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200, description: () => `the first-key run of ${org}\n${env.worker?.logs() ?? ''}` },
    );
    expect(banner).toMatchObject({ state: 'completed', total: 4, done: 4, failed: 0 });
    const moved = await admin.get<Summary>(`/api/orgs/${org}/data-keys/summary`);
    expect(moved.body.wrappingKeys.find((k) => k.keyId === added.body.key.id)?.dataKeys).toBe(4);

    const decrypted = await member.post<{ values: string[] }>(`${secrets(org)}/decrypt`, { ciphertexts });
    expect([decrypted.status, decrypted.body.values]).toEqual([200, values]);
    // The scope goes on: the fourth generation (now under the customer key) has two uses left, then a fifth.
    const more = await encrypt(member, org, 'busy', ['a']);
    const next = [...more, ...(await encrypt(member, org, 'busy', ['b'])), ...(await encrypt(member, org, 'busy', ['c']))];
    expect(new Set(next.map((c) => c.split('.')[1])).size).toBe(2);
  }, 200_000);

  it('refuses a new scope beyond CMK_MAX_DATA_KEYS_PER_ORG with 409 DATA_KEY_LIMIT_REACHED; existing scopes keep working', async () => {
    const org = 'bounds-limit';
    await env.orgWithToken(org, 'free');
    const member = await env.tokenFor(org, 'member');
    await encrypt(member, org, 'one', ['x']);
    await encrypt(member, org, 'two', ['y']);
    const refused = await member.post<{ error: { code: string; message: string } }>(`${secrets(org)}/encrypt`, { scope: 'three', values: ['z'] });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'DATA_KEY_LIMIT_REACHED']);
    expect(refused.body.error.message).toContain('limit');
    expect(await encrypt(member, org, 'one', ['again'])).toHaveLength(1);
  }, 60_000);
});
