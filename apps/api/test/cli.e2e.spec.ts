import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@cmk/testing';
import { E2eEnvironment } from './e2e-environment';
import { DataKeyFixture } from './reencryption-data-keys';

const run = promisify(execFile);
/** The package's `cmk` bin (it runs the built CLI in dist/). */
const CLI = resolve(__dirname, '../../../bin/cmk.js');

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cmk` as a process with `env` only (plus PATH), feeding `input` on stdin. */
function cmk(args: readonly string[], env: Record<string, string>, input = ''): Promise<CliRun> {
  return new Promise((resolvePromise) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolvePromise({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    child.stdin?.end(input);
  });
}

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

  it('issues nothing for the typo `token issue cli-org bob --rol member` (exit 2 with the command help), against a live api', async () => {
    const live = { CMK_API_URL: env.baseUrl, CMK_OPERATOR_TOKEN: env.operatorToken };
    for (const args of [['token', 'issue', 'cli-org', 'bob', '--rol', 'member'], ['token', 'issue', 'cli-org', 'bob', '--role'], ['token', 'issue', 'cli-org', 'bob', 'member']]) {
      const result = await cmk(args, live);
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(result.stderr).toContain('usage: cmk token issue <org> <user> [options]');
    }
    const store = await env.openStore();
    try {
      const issuedToBob = (await store.readAll()).filter((event) => event.type === 'AccessTokenIssued' && event.data['user'] === 'bob');
      expect(issuedToBob).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('exits 2 with the usage on unknown commands, unknown flags, missing arguments and a token issue without --role', async () => {
    const none = {};
    for (const args of [['org', 'explode'], ['keys', 'list', '--org', 'x', '--bogus'], ['token', 'issue', 'cli-org'], ['token', 'issue', 'cli-org', 'dave'], ['keys', 'list', '--output', 'yaml']]) {
      const result = await cmk(args, none);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain('usage: cmk');
    }
    const help = await cmk(['reencryption', 'watch', '--help'], none);
    expect(help).toMatchObject({ code: 0 });
    expect(help.stdout).toContain('usage: cmk reencryption watch');
  });

  it('names the URL and a hint when the api cannot be reached (exit 1)', async () => {
    const result = await cmk(['org', 'create', 'nowhere'], { CMK_API_URL: 'http://127.0.0.1:9', CMK_OPERATOR_TOKEN: 'x'.repeat(30) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach http://127.0.0.1:9/api/admin/orgs');
    expect(result.stderr).toContain('CMK_API_URL');
  });

  it('sends an Idempotency-Key: the same --idempotency-key replays the first answer', async () => {
    const env2 = { CMK_API_URL: env.baseUrl, CMK_OPERATOR_TOKEN: env.operatorToken };
    const first = await cmk(['org', 'create', 'idem-org', '--idempotency-key', 'cli-idem-1'], env2);
    const again = await cmk(['org', 'create', 'idem-org', '--idempotency-key', 'cli-idem-1'], env2);
    expect([first.code, again.code]).toEqual([0, 0]);
    expect(JSON.parse(again.stdout)).toEqual(JSON.parse(first.stdout));
    const fresh = await cmk(['org', 'create', 'idem-org'], env2); // a new key: a second create is refused
    expect(fresh.code).toBe(1);
    expect(fresh.stderr).toContain('HTTP 409');
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

  describe('org admin commands (CMK_TOKEN)', () => {
    const org = 'cli-admin-org';
    let adminEnv: Record<string, string>;

    beforeAll(async () => {
      await env.startWorker();
      const operator = { CMK_API_URL: env.baseUrl, CMK_OPERATOR_TOKEN: env.operatorToken };
      expect((await cmk(['org', 'create', org, '--edition', 'enterprise'], operator)).code).toBe(0);
      const issued = await cmk(['token', 'issue', org, 'erin', '--role', 'admin'], operator);
      adminEnv = { CMK_API_URL: env.baseUrl, CMK_TOKEN: String((JSON.parse(issued.stdout) as { token: string }).token), CMK_ORG: org };
      const keys = await DataKeyFixture.open(env.dataDir, env.baseUrl);
      try {
        await keys.issuePlatformKeys(org, 300);
      } finally {
        await keys.close();
      }
    }, 120_000);

    it('encrypts and decrypts values read from stdin', async () => {
      const encrypted = await cmk(['secrets', 'encrypt', '--scope', 'prod', '--output', 'table'], adminEnv, 'alpha\nbeta gamma\n');
      expect(encrypted.code).toBe(0);
      const ciphertexts = encrypted.stdout.trim().split('\n');
      expect(ciphertexts).toHaveLength(2);
      const decrypted = await cmk(['secrets', 'decrypt'], adminEnv, `${ciphertexts.join('\n')}\n`);
      expect(decrypted.code).toBe(0);
      expect(JSON.parse(decrypted.stdout)).toEqual({ values: ['alpha', 'beta gamma'] });
    });

    it('adds a key, watches the failed run (exit 1), retries and watches it complete (exit 0); lists the keys as a table', async () => {
      const key = env.demoKey(org);
      // The run's rewraps into the new key are refused for 7 data keys: the run fails with exactly those.
      env.kms.addFault({ operation: 'Encrypt', keyArn: key.keyArn, error: 'AccessDeniedException', count: 7 });
      const added = await cmk(['keys', 'add', '--name', 'primary', '--role-arn', key.roleArn, '--key-arn', key.keyArn], adminEnv);
      expect(added.code).toBe(0);
      const failed = await cmk(['reencryption', 'watch'], adminEnv);
      expect(failed.code).toBe(1);
      expect(JSON.parse(failed.stdout)).toMatchObject({ state: 'failed', failed: 7, failuresByCode: { KMS_ACCESS_DENIED: 7 } });
      // 300 platform data keys, plus the one the stdin test may have issued.
      expect(failed.stderr).toMatch(/\[#{30}\] 100% (\d+)\/\1 \(7 failed\) failed/);
      expect(failed.stderr).toContain('KMS_ACCESS_DENIED 7');

      env.kms.clearFaults();
      expect((await cmk(['reencryption', 'retry'], adminEnv)).code).toBe(0);
      const completed = await cmk(['reencryption', 'watch', '--output', 'table'], adminEnv);
      expect(completed.code).toBe(0);
      expect(completed.stdout).toMatch(/state\s+completed/);
      expect(completed.stderr).toContain('completed: 7 data keys rewrapped');

      const listed = await cmk(['keys', 'list', '--output', 'table'], adminEnv);
      expect(listed.code).toBe(0);
      const [header, row] = listed.stdout.trim().split('\n');
      expect(header).toMatch(/^id\s+name\s+state\s+default/);
      expect(row).toMatch(/primary\s+active\s+yes/);
    }, 180_000);
  });
});
