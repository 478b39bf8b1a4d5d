import { ApplicationError } from '@cmk/application';
import { waitFor } from '@cmk/testing';
// Integration specs run against the emulator tool; library code never imports it.
import { startKmsEmulator, type KmsEmulator } from '@cmk/kms-emulator';
import { promises as fs } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyProviders, type KeyProviders } from '../create-key-providers';
import { rewrapOrgKeysToCurrentMaster } from '../org-platform/master-rotation';
import { AwsClientPool } from './aws-client-pool';
import { WebIdentityCredentials } from './web-identity-credentials';
import { startIssuerServer, type IssuerServer } from '@cmk/key-providers/testing';

const ACCOUNT = '111122223333';
const ALL = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'];
let seq = 0;

describe('AWS KMS through STS web identity, against the emulator (real SDK over HTTP, our JWKS)', () => {
  let emulator: KmsEmulator;
  let server: IssuerServer;
  let dataDir: string;
  let providers: KeyProviders;

  beforeAll(async () => {
    emulator = await startKmsEmulator();
    server = await startIssuerServer();
    dataDir = await mkdtemp(join(tmpdir(), 'cmk-kms-'));
    providers = await createKeyProviders({
      dataDir,
      publicUrl: server.publicUrl,
      aws: { kmsEndpoint: emulator.url, stsEndpoint: emulator.url, maxSockets: 16 },
      throttleRetry: { baseDelayMs: 20 },
    });
    server.serve(providers.issuer);
  });
  afterAll(async () => {
    providers.close();
    await emulator.close();
    await server.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  /** A fresh org with its own role and key; `trust`/`actions` override the correct setup. */
  function setup(options: { audience?: string; subject?: string; actions?: string[]; alias?: boolean } = {}) {
    seq += 1;
    const org = `org-${seq}`;
    const expected = providers.issuer.expectationsFor(org);
    const key = emulator.createKey(options.alias ? { alias: `alias/${org}` } : {});
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/cmk/${org}`;
    emulator.registerRole({
      roleArn,
      trust: { issuer: expected.issuer, audience: options.audience ?? expected.audience, subject: options.subject ?? expected.subject },
      allow: [{ keyArn: key.keyArn, actions: options.actions ?? ALL }],
    });
    return { org, roleArn, keyArn: key.keyArn, aliasArn: key.aliasArn ?? '' };
  }

  async function failure(promise: Promise<unknown>): Promise<ApplicationError> {
    const error = await promise.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationError);
    const mapped = error as ApplicationError;
    // Nothing secret in what reaches the HTTP layer: no JWT, no session credentials.
    const visible = JSON.stringify({ message: mapped.message, details: mapped.details });
    expect(visible).not.toMatch(/eyJ[\w-]+\.|ASIA[A-Z0-9]{16}|SessionToken/);
    return mapped;
  }

  it('verifies a key end to end and returns its ARN', async () => {
    const { org, roleArn, keyArn } = setup();
    await expect(providers.verifier.verify({ orgId: org, roleArn, keyArn })).resolves.toEqual({ resolvedKeyArn: keyArn });
    expect(server.hits.get('/oidc/.well-known/jwks')).toBeGreaterThanOrEqual(1);
  });

  it('resolves an alias ARN to the key ARN', async () => {
    const { org, roleArn, keyArn, aliasArn } = setup({ alias: true });
    expect(aliasArn).toContain(':alias/');
    await expect(providers.verifier.verify({ orgId: org, roleArn, keyArn: aliasArn })).resolves.toEqual({ resolvedKeyArn: keyArn });
  });

  it('refuses a trust policy with another audience, naming the expected one', async () => {
    const { org, roleArn, keyArn } = setup({ audience: 'aws:somebody-else' });
    const error = await failure(providers.verifier.verify({ orgId: org, roleArn, keyArn }));
    expect(error).toMatchObject({ code: 'KMS_ROLE_NOT_ASSUMABLE', httpStatus: 422 });
    expect(error.details).toMatchObject({ expectedAudience: `aws:${org}`, expectedIssuer: `${server.publicUrl}/oidc`, roleArn });
  });

  it('refuses a trust policy with another subject, naming the expected one', async () => {
    const { org, roleArn, keyArn } = setup({ subject: 'cmk:cmk:organization.login:someone-else' });
    const error = await failure(providers.verifier.verify({ orgId: org, roleArn, keyArn }));
    expect(error.code).toBe('KMS_ROLE_NOT_ASSUMABLE');
    expect(error.details).toMatchObject({ expectedSubject: `cmk:cmk:organization.login:${org}`, awsError: 'AccessDenied' });
  });

  it('refuses a role without kms:Decrypt, naming the permission', async () => {
    const { org, roleArn, keyArn } = setup({ actions: ['kms:Encrypt', 'kms:GenerateDataKey'] });
    const error = await failure(providers.verifier.verify({ orgId: org, roleArn, keyArn }));
    expect(error).toMatchObject({ code: 'KMS_ACCESS_DENIED', httpStatus: 422 });
    expect(error.details).toMatchObject({ permission: 'kms:Decrypt', keyArn });
  });

  it.each([
    ['Disabled', 'KMS_KEY_DISABLED'],
    ['PendingDeletion', 'KMS_KEY_PENDING_DELETION'],
  ] as const)('refuses a %s key with %s', async (state, code) => {
    const { org, roleArn, keyArn } = setup();
    emulator.setKeyState(keyArn, state);
    expect((await failure(providers.verifier.verify({ orgId: org, roleArn, keyArn }))).code).toBe(code);
  });

  it('refuses an unknown alias with KMS_KEY_NOT_FOUND and a malformed ARN with 400', async () => {
    const { org, roleArn } = setup();
    const unknown = `arn:aws:kms:us-east-1:${ACCOUNT}:alias/does-not-exist-${org}`;
    expect((await failure(providers.verifier.verify({ orgId: org, roleArn, keyArn: unknown }))).code).toBe('KMS_KEY_NOT_FOUND');
    const malformed = await failure(providers.verifier.verify({ orgId: org, roleArn, keyArn: 'arn:aws:kms:nowhere' }));
    expect(malformed).toMatchObject({ code: 'INVALID_KEY_ARN', httpStatus: 400 });
  });

  it("a token for org B cannot assume org A's role", async () => {
    const a = setup();
    setup(); // org B has its own, correct setup: its audience is registered with the provider
    const orgB = `org-${seq}`;
    const error = await failure(providers.verifier.verify({ orgId: orgB, roleArn: a.roleArn, keyArn: a.keyArn }));
    expect(error.code).toBe('KMS_ROLE_NOT_ASSUMABLE');
    expect(error.details).toMatchObject({ expectedAudience: `aws:${orgB}` });
  });

  it('caches the role session: many operations, one AssumeRoleWithWebIdentity', async () => {
    const { org, roleArn, keyArn } = setup();
    const provider = providers.registry.providerFor({ orgId: org, wrappedBy: 'k1', roleArn, resolvedKeyArn: keyArn });
    expect(providers.registry.providerFor({ orgId: org, wrappedBy: 'k1', roleArn, resolvedKeyArn: keyArn })).toBe(provider);
    const before = emulator.stats().byOperation.AssumeRoleWithWebIdentity ?? 0;
    const results = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const ctx = { org, dataKey: `dk-${i}` };
        const generated = await provider.generateDataKey(ctx);
        const rewrapped = await provider.wrap(generated.plaintext, ctx);
        return (await provider.unwrap(rewrapped.wrapped, ctx)).equals(generated.plaintext) && generated.kekRef === keyArn;
      }),
    );
    expect(results.every(Boolean)).toBe(true);
    expect((emulator.stats().byOperation.AssumeRoleWithWebIdentity ?? 0) - before).toBe(1);
    expect(emulator.stats().byRole[roleArn]).toBe(300);
  });

  it('binds wrapped keys to the org and data key', async () => {
    const { org, roleArn, keyArn } = setup();
    const provider = providers.registry.providerFor({ orgId: org, wrappedBy: 'k1', roleArn, resolvedKeyArn: keyArn });
    const { wrapped } = await provider.generateDataKey({ org, dataKey: 'dk-a' });
    expect((await failure(provider.unwrap(wrapped, { org, dataKey: 'dk-b' }))).code).toBe('KMS_INVALID_CIPHERTEXT');
    expect((await failure(provider.unwrap(wrapped, { org: 'intruder', dataKey: 'dk-a' }))).code).toBe('KMS_CONTEXT_MISMATCH');
  });

  it('survives throttling (SDK retries, then ours with backoff) and maps persistent throttling to KMS_THROTTLED', async () => {
    const { org, roleArn, keyArn } = setup();
    const provider = providers.registry.providerFor({ orgId: org, wrappedBy: 'k1', roleArn, resolvedKeyArn: keyArn });
    const ctx = { org, dataKey: 'dk-throttle' };
    const { plaintext, wrapped } = await provider.generateDataKey(ctx);
    const throttledBefore = emulator.stats().throttled;
    emulator.addFault({ operation: 'Decrypt', keyArn, error: 'ThrottlingException', count: 5 });
    expect(await provider.unwrap(wrapped, ctx)).toEqual(plaintext);
    expect(emulator.stats().throttled - throttledBefore).toBe(5);

    emulator.addFault({ operation: 'Decrypt', keyArn, error: 'ThrottlingException' });
    try {
      const error = await failure(provider.unwrap(wrapped, ctx));
      expect(error).toMatchObject({ code: 'KMS_THROTTLED', httpStatus: 503 });
    } finally {
      emulator.clearFaults();
    }
  });

  it('renews the session ahead of expiry in the background, and blocks only when nearly expired', async () => {
    // Driven directly: the SDK memoises identities and asks our provider again only in their
    // last 5 minutes (by the real clock), which is why refresh-ahead (10 min) is longer.
    const { org, roleArn } = setup();
    let offsetMs = 0;
    const pool = new AwsClientPool({ stsEndpoint: emulator.url });
    const sessions = new WebIdentityCredentials(providers.issuer, pool, { now: () => Date.now() + offsetMs });
    const assumes = () => emulator.stats().byOperation.AssumeRoleWithWebIdentity ?? 0;
    const start = assumes();
    try {
      const [first, second] = await Promise.all([sessions.get(org, roleArn, 'us-east-1'), sessions.get(org, roleArn, 'us-east-1')]);
      expect(second).toBe(first);
      expect(assumes() - start).toBe(1);

      offsetMs = 55 * 60_000; // 5 min left: inside the 10-min refresh-ahead window, served at once
      expect(await sessions.get(org, roleArn, 'us-east-1')).toBe(first);
      // Wait for what is asserted: the client serving the renewed session. (The emulator's STS
      // counter reaches 2 before the client has stored the session it answered.) Polls that
      // still see `first` share the renewal already in flight, so they cost no STS call.
      const renewed = await waitFor(
        async () => {
          const current = await sessions.get(org, roleArn, 'us-east-1');
          return current !== first && current;
        },
        { description: 'the background renewal to be served' },
      );
      expect(renewed).not.toBe(first);

      offsetMs = 59.5 * 60_000; // the renewed session (issued at real time) has 30 s left: the caller waits
      const blocking = await sessions.get(org, roleArn, 'us-east-1');
      expect(blocking).not.toBe(renewed);
      expect(assumes() - start).toBe(3);
    } finally {
      pool.close();
    }
  });

  it('the SDK honours AWS_ENDPOINT_URL_KMS / AWS_ENDPOINT_URL_STS; platform key in KMS with ambient credentials, and a change of that key', async () => {
    const { org, roleArn, keyArn } = setup();
    const platformKey = emulator.createKey().keyArn;
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_KMS: emulator.url,
      AWS_ENDPOINT_URL_STS: emulator.url,
      AWS_ACCESS_KEY_ID: emulator.adminCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: emulator.adminCredentials.secretAccessKey,
    });
    const envProviders = await createKeyProviders({ dataDir, publicUrl: server.publicUrl, platformKmsKeyArn: platformKey });
    try {
      await expect(envProviders.verifier.verify({ orgId: org, roleArn, keyArn })).resolves.toEqual({ resolvedKeyArn: keyArn });
      const platform = envProviders.registry.providerFor({ orgId: org, wrappedBy: 'platform' });
      const generated = await platform.generateDataKey({ org, dataKey: 'dk-p' });
      // The data key is under the org's platform key; the KMS key wraps that org key (one Encrypt).
      expect(generated.kekRef).toBe('platform-org:g1');
      expect((await envProviders.orgKeys.store.listLive()).filter((k) => k.orgId === org)).toEqual([{ orgId: org, generation: 1, kekRef: platformKey }]);
      expect(await platform.unwrap(generated.wrapped, { org, dataKey: 'dk-p' })).toEqual(generated.plaintext);
      expect(emulator.stats().byKeyArn[platformKey]).toBe(1);
      // Another process (no cached org key) opens the org key with one KMS Decrypt.
      const other = await createKeyProviders({ dataDir, publicUrl: server.publicUrl, platformKmsKeyArn: platformKey });
      try {
        expect(await other.registry.providerFor({ orgId: org, wrappedBy: 'platform' }).unwrap(generated.wrapped, { org, dataKey: 'dk-p' })).toEqual(generated.plaintext);
        expect(emulator.stats().byKeyArn[platformKey]).toBe(2);
      } finally {
        other.close();
      }

      // A new CMK_PLATFORM_KMS_KEY_ARN: the org key is still opened with the previous KMS key,
      // then the background rewrap moves it to the new one, after which the old key is not needed.
      const nextKey = emulator.createKey().keyArn;
      const moved = await createKeyProviders({ dataDir, publicUrl: server.publicUrl, platformKmsKeyArn: nextKey });
      try {
        const provider = moved.registry.providerFor({ orgId: org, wrappedBy: 'platform' });
        expect(await provider.unwrap(generated.wrapped, { org, dataKey: 'dk-p' })).toEqual(generated.plaintext);
        expect(await rewrapOrgKeysToCurrentMaster(moved.orgKeys)).toBeGreaterThanOrEqual(1);
        expect((await moved.orgKeys.store.listLive()).filter((k) => k.orgId === org)).toEqual([{ orgId: org, generation: 1, kekRef: nextKey }]);
        emulator.setKeyState(platformKey, 'Disabled');
        const fresh = await createKeyProviders({ dataDir, publicUrl: server.publicUrl, platformKmsKeyArn: nextKey });
        try {
          expect(await fresh.registry.providerFor({ orgId: org, wrappedBy: 'platform' }).unwrap(generated.wrapped, { org, dataKey: 'dk-p' })).toEqual(generated.plaintext);
        } finally {
          fresh.close();
        }
      } finally {
        moved.close();
      }
    } finally {
      process.env = saved;
      envProviders.close();
    }
  });
});
