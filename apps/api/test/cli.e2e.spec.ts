import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@cmk/testing';
import { E2eEnvironment } from './e2e-environment';

const run = promisify(execFile);
const CLI = resolve(__dirname, '../../../dist/tools/cli/src/main.js');

/** The operator CLI the README advertises, against a running api and its data directory. */
describe('operator CLI (built, as a process)', () => {
  let env: E2eEnvironment;
  const cli = async (...args: string[]) => {
    const { stdout } = await run(process.execPath, [CLI, ...args], {
      env: { PATH: process.env['PATH'] ?? '', CMK_API_URL: env.baseUrl, CMK_OPERATOR_TOKEN: env.operatorToken, CMK_DATA_DIR: env.dataDir },
      timeout: 30_000,
    });
    return JSON.parse(stdout) as Record<string, unknown>;
  };

  beforeAll(async () => {
    env = await E2eEnvironment.start();
  });
  afterAll(async () => env?.stop());

  it('creates an org and issues an admin token that works', async () => {
    expect(await cli('org', 'create', 'cli-org', '--edition', 'business-critical')).toEqual({ orgId: 'cli-org', edition: 'business-critical' });
    const issued = await cli('token', 'issue', 'cli-org', 'carol', '--role', 'admin');
    expect(issued).toMatchObject({ user: 'carol', role: 'admin' });
    const admin = env.anonymous().withToken(String(issued['token']));
    expect((await admin.get('/api/orgs/cli-org/customer-managed-keys')).status).toBe(200);
    await cli('token', 'revoke', 'cli-org', String(issued['tokenId']));
    await waitFor(async () => (await admin.get('/api/orgs/cli-org/customer-managed-keys')).status === 401, { description: 'revoked' });
  });

  it('fails with the usage text and a non-zero exit on unknown commands', async () => {
    const failure = await run(process.execPath, [CLI, 'org', 'explode'], { env: { PATH: process.env['PATH'] ?? '' } }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toContain('usage:');
  });

  it('rotates the OIDC signing key: the running api publishes both kids', async () => {
    const before = (await env.anonymous().get<{ keys: { kid: string }[] }>('/oidc/.well-known/jwks')).body.keys.map((k) => k.kid);
    const { kid } = await cli('keys', 'rotate-oidc', '--activate-after-seconds', '3600');
    await waitFor(async () => (await env.anonymous().get<{ keys: { kid: string }[] }>('/oidc/.well-known/jwks')).body.keys.some((k) => k.kid === kid), {
      description: 'new kid published',
    });
    const after = (await env.anonymous().get<{ keys: { kid: string }[] }>('/oidc/.well-known/jwks')).body.keys.map((k) => k.kid);
    expect(after).toEqual(expect.arrayContaining([...before, kid]));
  });

  it('rotates the platform master key: the worker rewraps org platform keys in the background; a version retires only once nothing depends on it', async () => {
    const admin = await env.orgWithToken('rotate-org', 'enterprise');
    const store = await env.openStore();
    const kekRefOf = async (scope: string) =>
      (await store.readAll()).find((e) => e.type === 'DataKeyIssued' && e.data['orgId'] === 'rotate-org' && e.data['scope'] === scope)?.data['kekRef'];
    const refusal = (...args: string[]) =>
      cli(...args).then(
        () => '',
        (error: { stderr: string }) => error.stderr,
      );
    const versionsOnFile = () => (JSON.parse(readFileSync(join(env.dataDir, 'platform-master-keys.json'), 'utf8')) as { keys: { version: number }[] }).keys.map((k) => k.version);
    try {
      const old = await admin.post<{ ciphertexts: string[] }>('/api/orgs/rotate-org/secrets/encrypt', { scope: 'before', values: ['v1-secret'] });
      // Data keys are wrapped by the org's platform key, which the master key wraps.
      expect(await kekRefOf('before')).toBe('platform-org:g1');
      expect(await cli('keys', 'rotate-platform')).toEqual({ version: 2 });
      expect(versionsOnFile()).toEqual([1, 2]);
      // No worker yet: the org key is still under version 1, so retiring it is refused by name.
      expect(await refusal('keys', 'retire-platform', '1')).toContain('rotate-org generation 1');
      expect(await refusal('keys', 'retire-platform', '2')).toContain('newest');
      expect(await refusal('keys', 'retire-platform', '7')).toContain('not in the keyring');

      await env.startWorker({ CMK_PLATFORM_REWRAP_INTERVAL_MS: '200' });
      const retired = await waitFor(async () => cli('keys', 'retire-platform', '1').catch(() => undefined), { timeoutMs: 20_000, intervalMs: 300, description: 'version 1 retirable' });
      expect(retired).toEqual({ retired: 1, remaining: [2] });
      expect(versionsOnFile()).toEqual([2]);

      // A restarted api (no cached data key) opens the org key with version 2 only.
      await env.api.stop();
      await env.startApi();
      const fresh = await admin.post<{ ciphertexts: string[] }>('/api/orgs/rotate-org/secrets/encrypt', { scope: 'after', values: ['v2-secret'] });
      const decrypted = await admin.post<{ values: string[] }>('/api/orgs/rotate-org/secrets/decrypt', { ciphertexts: [...old.body.ciphertexts, ...fresh.body.ciphertexts] });
      expect(decrypted.body.values).toEqual(['v1-secret', 'v2-secret']);
    } finally {
      await store.close();
    }
  });
});
