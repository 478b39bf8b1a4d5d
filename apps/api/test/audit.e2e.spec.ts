import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { generateKeyPair, CompactSign } from 'jose';
import { waitFor, type HttpClient } from '@cmk/testing';
import { E2eEnvironment, type DemoKey } from './e2e-environment';
import { SqliteTampering } from './audit-tampering';

const run = promisify(execFile);
/** The package's `cmk` bin (it runs the built CLI in dist/). */
const CLI = resolve(__dirname, '../../../bin/cmk.js');
const ORG = 'audited';
const cmk = `/api/orgs/${ORG}/customer-managed-keys`;
const addBody = (name: string, key: DemoKey) => ({ name, type: 'aws_kms', awsKms: { roleArn: key.roleArn, keyArn: key.keyArn } });

interface Entry {
  position: string;
  stream: string;
  id: string;
  type: string;
  actor: string | null;
  tokenId: string | null;
  requestId: string | null;
  occurredAt: string;
  data: Record<string, unknown>;
}
interface KeyListBody {
  keys: { id: string; name: string; state: string; isDefault: boolean }[];
  defaultKeyId: string;
}

/**
 * The auditor's story end to end (api + worker processes, the built CLI): a scripted history,
 * the feed in order with actors, the key list at five instants, lineage, the CLI's export,
 * verify (untouched, then after tampering with the SQLite file, then with a forged digest) and
 * replay, and an auditor token that can read but change nothing.
 */
describe('auditors (api + worker + cli)', () => {
  let env: E2eEnvironment;
  let admin: HttpClient;
  let auditor: HttpClient;
  let auditorToken: string;
  const instants: { at: string; live: KeyListBody }[] = [];
  const cli = (...args: string[]) =>
    run(process.execPath, [CLI, ...args], {
      env: { PATH: process.env['PATH'] ?? '', CMK_API_URL: env.baseUrl, CMK_OPERATOR_TOKEN: env.operatorToken, CMK_DATA_DIR: env.dataDir },
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  const verify = (file: string, ...extra: string[]) =>
    cli('audit', 'verify', file, ...extra).then(
      ({ stdout }) => ({ code: 0, report: JSON.parse(stdout) as Record<string, unknown>, stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, report: JSON.parse(error.stdout) as Record<string, unknown>, stderr: error.stderr }),
    );

  async function finished(runId: string, state: 'completed' | 'failed'): Promise<void> {
    await waitFor(
      async () => {
        const banner = await admin.get<{ id: string; state: string }>(`${cmk}/reencryption`);
        const list = await admin.get<{ reencryption: { id: string; state: string } | null }>(cmk);
        return banner.body.id === runId && banner.body.state === state && list.body.reencryption?.state === state;
      },
      { timeoutMs: 60_000, intervalMs: 100, description: `run ${runId} ${state}` },
    );
  }

  /** Remembers the live key list and the instant right after it. */
  async function snapshot(): Promise<void> {
    const live = await admin.get<KeyListBody>(cmk);
    instants.push({ live: live.body, at: new Date().toISOString() });
  }

  /** Exports through the CLI once the chain is linked and signed through the last event. */
  async function exportSigned(file: string): Promise<string[]> {
    let last = '';
    const signed = waitFor(
      async () => {
        const { stdout } = await cli('audit', 'export', '--org', ORG);
        const lines = stdout.trim().split('\n');
        last = lines[lines.length - 1];
        const end = JSON.parse(last) as { events: number; signedThrough: number };
        if (end.signedThrough !== end.events) return undefined;
        writeFileSync(file, stdout);
        return lines;
      },
      { timeoutMs: 30_000, intervalMs: 300, description: 'an export signed through its last event' },
    );
    return signed.catch((error: Error) => {
      throw new Error(`${error.message}; last line: ${last}\n--- worker ---\n${env.worker?.logs() ?? ''}`);
    });
  }

  beforeAll(async () => {
    env = await E2eEnvironment.start({ eventStore: 'sqlite', worker: true, env: { CMK_AUDIT_DIGEST_INTERVAL_SECONDS: '1', CMK_REENCRYPT_PROGRESS_INTERVAL_MS: '200' } });
    expect((await env.operator().post('/api/admin/orgs', { login: ORG, edition: 'team' })).status).toBe(201);
    expect((await env.operator().post(`/api/admin/orgs/${ORG}/edition`, { edition: 'enterprise' })).status).toBe(201);
    admin = await env.tokenFor(ORG, 'admin', 'alice');
    const issued = await env.operator().post<{ token: string }>(`/api/admin/orgs/${ORG}/tokens`, { user: 'audrey', role: 'auditor' });
    auditorToken = issued.body.token;
    auditor = env.anonymous().withToken(auditorToken);

    // The scripted history.
    for (const scope of ['billing', 'search', 'mail']) await admin.post(`/api/orgs/${ORG}/secrets/encrypt`, { scope, values: [`${scope}-secret`] });
    await snapshot(); // 0: platform only
    const keyA = env.demoKey(ORG);
    const a = await admin.post<{ key: { id: string }; reencryptionId: string }>(cmk, addBody('key-a', keyA));
    await finished(a.body.reencryptionId, 'completed');
    await snapshot(); // 1: A default, every data key under A
    const b = await admin.post<{ key: { id: string } }>(cmk, addBody('key-b', env.demoKey(ORG)));
    await admin.post(`${cmk}/${b.body.key.id}/set-default`, {});
    await snapshot(); // 2: B default
    env.kms.addFault({ operation: 'Decrypt', keyArn: keyA.keyArn, error: 'AccessDeniedException', count: 1 });
    const disabled = await admin.post<{ reencryptionId: string }>(`${cmk}/${a.body.key.id}/disable`, { destID: b.body.key.id });
    await finished(disabled.body.reencryptionId, 'failed');
    await snapshot(); // 3: A disabling after a failed run
    env.kms.clearFaults();
    const retried = await admin.post<{ reencryptionId: string }>(`${cmk}/reencryption/retry`, {});
    await finished(retried.body.reencryptionId, 'completed');
    await admin.post(cmk, addBody('key-c', env.demoKey(ORG)));
    const all = await admin.post<{ reencryptionId: string }>(`${cmk}/disable-all`, {});
    await finished(all.body.reencryptionId, 'completed');
    await snapshot(); // 4: everything disabled, back on the platform key
    const member = await env.operator().post<{ tokenId: string }>(`/api/admin/orgs/${ORG}/tokens`, { user: 'mallory', role: 'member' });
    await env.operator().post(`/api/admin/orgs/${ORG}/tokens/${member.body.tokenId}/revoke`, {});
    await env.operator().post(`/api/admin/orgs/${ORG}/edition`, { edition: 'business-critical' });
  }, 240_000);

  afterAll(async () => env?.stop());

  async function feed(): Promise<Entry[]> {
    const entries: Entry[] = [];
    let after: string | null = null;
    do {
      const query: string = after ? `?limit=7&after=${encodeURIComponent(after)}` : '?limit=7';
      const page = await auditor.get<{ events: Entry[]; nextCursor: string | null }>(`/api/orgs/${ORG}/audit${query}`);
      expect(page.status).toBe(200);
      entries.push(...page.body.events);
      after = page.body.nextCursor;
    } while (after);
    return entries;
  }

  it('returns every event about the org in commit order, with actors, and no secrets', async () => {
    const entries = await feed();
    const types = entries.map((e) => e.type);
    const order = ['OrganizationRegistered', 'EditionChanged', 'AccessTokenIssued', 'DataKeyIssued', 'KeyAdded', 'ReencryptionStarted', 'DataKeyRewrapped', 'ReencryptionCompleted',
      'DefaultChanged', 'KeyDisabled', 'ReencryptionFailed', 'ReencryptionCompleted', 'AllKeysDisabled', 'ReencryptionCompleted', 'AccessTokenRevoked', 'EditionChanged'];
    let cursor = -1;
    for (const type of order) {
      cursor = types.indexOf(type, cursor + 1);
      expect({ type, found: cursor >= 0 }).toEqual({ type, found: true });
    }
    const positions = entries.map((e) => e.position.split('/').map(BigInt)[0]);
    expect([...positions].sort((x, y) => (x < y ? -1 : 1))).toEqual(positions);
    expect(entries.find((e) => e.type === 'KeyAdded')).toMatchObject({ actor: 'user:alice', tokenId: expect.any(String), requestId: expect.any(String) });
    expect(entries.find((e) => e.type === 'EditionChanged')).toMatchObject({ actor: 'operator' });
    expect(entries.find((e) => e.type === 'ReencryptionCompleted')).toMatchObject({ actor: 'system' });
    expect(entries.filter((e) => e.type === 'AccessTokenIssued').map((e) => e.data['user'])).toEqual(['alice', 'audrey', 'mallory']);
    const text = JSON.stringify(entries);
    expect(text).not.toMatch(/"sha256":"[0-9a-f]{64}"/);
    const wraps = entries.filter((e) => e.type === 'DataKeyIssued' || e.type === 'DataKeyRewrapped');
    expect(wraps.length).toBeGreaterThan(0);
    expect(wraps.every((e) => String(e.data['wrapped']).startsWith('redacted:sha256:'))).toBe(true);
    const byActor = await auditor.get<{ events: Entry[] }>(`/api/orgs/${ORG}/audit?actor=operator&type=EditionChanged`);
    expect(byActor.body.events.map((e) => e.data['to'])).toEqual(['enterprise', 'business-critical']);
    const bad = await auditor.get<{ error: { code: string } }>(`/api/orgs/${ORG}/audit?limit=100000`);
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
  });

  it('answers the key list as it was at five instants', async () => {
    expect(instants).toHaveLength(5);
    for (const { at, live } of instants) {
      const then = await auditor.get<KeyListBody>(`${cmk}?at=${encodeURIComponent(at)}`);
      expect(then.status).toBe(200);
      // Key health is a live probe, not history: the list then is everything else.
      const { newDataKeys: _live, ...history } = live as KeyListBody & { newDataKeys?: unknown };
      expect(then.body).toEqual({ ...history, keys: history.keys.map(({ health: _health, ...key }: { health?: unknown } & Record<string, unknown>) => key) });
    }
    expect(instants[0].live.keys).toEqual([]);
    expect(instants[4].live.keys.every((k) => k.state === 'disabled')).toBe(true);
    expect((await auditor.get(`${cmk}?at=yesterday`)).status).toBe(400);
  });

  it('lists every wrap of a data key, matching the feed, without key bytes', async () => {
    const entries = await feed();
    const dataKeyId = String(entries.find((e) => e.type === 'DataKeyIssued')?.data['dataKeyId']);
    const lineage = await auditor.get<{ wraps: { wrappedBy: string; reencryptionId: string | null; kekRef: string }[] }>(`/api/orgs/${ORG}/data-keys/${dataKeyId}/lineage`);
    expect(lineage.status).toBe(200);
    // Use reservations (DataKeyUseReserved) are on the same stream but change no wrap.
    const fromFeed = entries
      .filter((e) => e.stream === `datakey-${dataKeyId}` && e.type !== 'DataKeyUseReserved')
      .map((e) => (e.type === 'DataKeyIssued' ? e.data['wrappedBy'] : e.data['to']));
    expect(lineage.body.wraps.map((w) => w.wrappedBy)).toEqual(fromFeed);
    expect(fromFeed[0]).toBe('platform');
    expect(fromFeed[fromFeed.length - 1]).toBe('platform');
    expect(fromFeed.length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(lineage.body)).not.toContain('"wrapped"');
    expect((await auditor.get(`/api/orgs/${ORG}/data-keys/dk${'0'.repeat(40)}/lineage`)).status).toBe(404);
  });

  it('gives the auditor every read and refuses every command and the secrets routes (403)', async () => {
    for (const path of [cmk, `${cmk}/history`, `${cmk}/reencryption`, `/api/orgs/${ORG}/data-keys/summary`, `/api/orgs/${ORG}/audit`]) {
      expect({ path, status: (await auditor.get(path)).status }).toEqual({ path, status: 200 });
    }
    expect((await env.operator().get('/api/admin/orgs/nobody/audit/export')).status).toBe(404);
    expect((await auditor.get('/api/orgs/other-org/audit')).status).toBe(404);
    const keyId = instants[4].live.keys[0].id;
    const commands: [string, unknown][] = [
      [cmk, { name: 'x', type: 'aws_kms', awsKms: { roleArn: 'arn:aws:iam::111122223333:role/x', keyArn: 'arn:aws:kms:us-east-1:111122223333:key/x' } }],
      [`${cmk}/${keyId}/set-default`, {}],
      [`${cmk}/${keyId}/disable`, { destID: 'platform' }],
      [`${cmk}/disable-all`, {}],
      [`${cmk}/reencryption/retry`, {}],
      [`/api/orgs/${ORG}/secrets/encrypt`, { scope: 's', values: ['v'] }],
      [`/api/orgs/${ORG}/secrets/decrypt`, { ciphertexts: ['v1.x.y.z'] }],
    ];
    for (const [path, body] of commands) {
      const response = await auditor.post<{ error: { code: string } }>(path, body);
      expect({ path, status: response.status, code: response.body.error?.code }).toEqual({ path, status: 403, code: 'ROLE_REQUIRED' });
    }
  });

  it('exports with the CLI; the untouched export verifies and replays to the live key list at each instant', async () => {
    const file = join(env.dataDir, 'export.jsonl');
    const lines = await exportSigned(file);
    expect(JSON.parse(lines[0])).toMatchObject({ kind: 'header', org: ORG });
    // The auditor's own token exports the same history through the org route.
    const asAuditor = await run(process.execPath, [CLI, 'audit', 'export', '--org', ORG], {
      env: { PATH: process.env['PATH'] ?? '', CMK_API_URL: env.baseUrl, CMK_AUDIT_TOKEN: auditorToken },
      maxBuffer: 64 * 1024 * 1024,
    });
    const auditorLines = asAuditor.stdout.trim().split('\n');
    const eventLines = (all: string[]) => all.filter((l) => l.includes('"kind":"event"'));
    expect(eventLines(auditorLines)).toEqual(eventLines(lines));
    expect(asAuditor.stderr).toContain('audit export: done');
    const { code, report } = await verify(file);
    expect(code).toBe(0);
    expect(report).toMatchObject({ ok: true, problem: null });
    for (const { at, live } of instants) {
      const { stdout } = await cli('audit', 'replay', file, '--at', at);
      const replayed = JSON.parse(stdout) as { keyRing: { keys: { id: string; state: string; isDefault: boolean }[]; defaultKeyId: string }; dataKeys: { wrappedBy: string }[] };
      expect(replayed.keyRing.defaultKeyId).toBe(live.defaultKeyId);
      expect(replayed.keyRing.keys).toEqual(live.keys.map(({ id, name, type, awsKms, isDefault, state, addedAt }: Record<string, unknown>) => ({ id, name, type, awsKms, isDefault, state, addedAt })));
      expect(replayed.dataKeys).toHaveLength(3);
    }
    const last = JSON.parse((await cli('audit', 'replay', file, '--at', instants[4].at)).stdout) as { dataKeys: { wrappedBy: string }[] };
    expect(last.dataKeys.map((d) => d.wrappedBy)).toEqual(['platform', 'platform', 'platform']);
    const first = JSON.parse((await cli('audit', 'replay', file, '--at', instants[1].at)).stdout) as { dataKeys: { wrappedBy: string }[] };
    expect(new Set(first.dataKeys.map((d) => d.wrappedBy))).toEqual(new Set([instants[1].live.defaultKeyId]));
  });

  it('names an event altered, deleted or swapped in the SQLite file', async () => {
    const file = join(env.dataDir, 'tampered.jsonl');
    await exportSigned(file);
    const entries = await feed();
    const keyAdded = entries.find((e) => e.type === 'KeyAdded');
    const defaultChanged = entries.find((e) => e.type === 'DefaultChanged');
    // The event appended with the first KeyAdded (same command, so linked in the same batch).
    const next = entries[entries.findIndex((e) => e.type === 'KeyAdded') + 1];
    if (!keyAdded || !defaultChanged || next.stream !== keyAdded.stream) throw new Error('fixture');
    const tamper = new SqliteTampering(env.dataDir);
    const expectNamed = (kind: string, eventId: string) => async () => {
      const { stdout } = await cli('audit', 'export', '--org', ORG);
      writeFileSync(file, stdout);
      const result = await verify(file);
      expect(result.code).toBe(1);
      expect(result.report['problem']).toMatchObject({ kind });
      expect(result.stderr).toContain(eventId);
    };
    try {
      await tamper.alter(keyAdded.id, (data) => ({ ...data, keyArn: 'arn:aws:kms:us-east-1:999999999999:key/evil' }), expectNamed('altered', keyAdded.id));
      await tamper.remove(defaultChanged.id, expectNamed('missing', defaultChanged.id));
      await tamper.swap(keyAdded.id, next.id, expectNamed('reordered', next.id));
    } finally {
      tamper.close();
    }
    // Restored: verifies again.
    await exportSigned(file);
    expect((await verify(file)).code).toBe(0);
  });

  it('refuses a digest re-signed with a foreign key, and keeps verifying across an OIDC key rotation', async () => {
    const file = join(env.dataDir, 'forged.jsonl');
    const lines = await exportSigned(file);
    const { privateKey } = await generateKeyPair('RS256');
    const index = lines.findIndex((l) => l.includes('"kind":"digest"'));
    const digest = JSON.parse(lines[index]) as { jws: string; kid: string };
    const [header, payload] = digest.jws.split('.');
    const forged = await new CompactSign(Buffer.from(payload, 'base64url'))
      .setProtectedHeader(JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg: string })
      .sign(privateKey);
    lines[index] = JSON.stringify({ ...digest, jws: forged });
    writeFileSync(file, `${lines.join('\n')}\n`);
    const result = await verify(file);
    expect(result.code).toBe(1);
    expect(result.report['problem']).toMatchObject({ kind: 'digest' });

    const rotated = JSON.parse((await cli('keys', 'rotate-oidc')).stdout) as { kid: string };
    await env.operator().post(`/api/admin/orgs/${ORG}/tokens`, { user: 'late', role: 'member' });
    const after = join(env.dataDir, 'rotated.jsonl');
    await waitFor(async () => {
      const exported = await exportSigned(after);
      return exported.some((l) => l.includes(`"kid":"${rotated.kid}"`));
    }, { timeoutMs: 30_000, description: 'a digest signed with the new key' });
    const jwks = await env.anonymous().get<{ keys: { kid: string }[] }>('/audit/.well-known/jwks');
    writeFileSync(join(env.dataDir, 'jwks.json'), JSON.stringify(jwks.body));
    const checked = await verify(after, '--jwks', join(env.dataDir, 'jwks.json'));
    expect(checked.code).toBe(0);
    expect(checked.report['signingKeys']).toEqual(expect.arrayContaining([digest.kid, rotated.kid]));
  });
});
