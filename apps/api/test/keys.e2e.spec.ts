import { orgStream } from '@cmk/domain';
import { evolveKeyList, initialKeyListDoc } from '@cmk/read-models';
import { waitFor, type HttpClient } from '@cmk/testing';
import { E2eEnvironment, type DemoKey } from './e2e-environment';
import { KeyringTestHelper } from './reencryption-test-helper';

interface KeyBody {
  id: string;
  name: string;
  isDefault: boolean;
  state: string;
  canSetDefault: boolean;
  canDisable: boolean;
}
interface ListBody {
  keys: KeyBody[];
  defaultKeyId: string;
  reencryption: { id: string; state: string; reason: string } | null;
}
interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

const cmk = (org: string) => `/api/orgs/${org}/customer-managed-keys`;
const addBody = (name: string, key: DemoKey, keyArn = key.keyArn) => ({ name, type: 'aws_kms', awsKms: { roleArn: key.roleArn, keyArn } });

describe('customer managed keys over HTTP (api process, real Redis, KMS emulator)', () => {
  let env: E2eEnvironment;
  let runs: KeyringTestHelper;

  beforeAll(async () => {
    env = await E2eEnvironment.start();
    runs = await KeyringTestHelper.open(env.dataDir);
  });

  afterAll(async () => {
    await runs?.close();
    await env?.stop();
  });

  describe('operator routes', () => {
    it('refuses a missing or wrong operator token with 401', async () => {
      expect((await env.anonymous().post('/api/admin/orgs', { login: 'x1', edition: 'free' })).status).toBe(401);
      const wrong = await env.anonymous().withToken('not-the-operator-token-at-all').post('/api/admin/orgs', { login: 'x1', edition: 'free' });
      expect(wrong.status).toBe(401);
      expect((wrong.body as ErrorBody).error.code).toBe('UNAUTHENTICATED');
    });

    it('validates org creation field by field and refuses duplicates', async () => {
      const bad = await env.operator().post<ErrorBody>('/api/admin/orgs', { login: 'Not Valid!', edition: 'platinum', name: 'n'.repeat(101) });
      expect(bad.status).toBe(400);
      expect(Object.keys(bad.body.error.details['fields'] as object).sort()).toEqual(['edition', 'login', 'name']);
      expect((await env.operator().post('/api/admin/orgs', { login: 'dup-org', edition: 'team' })).status).toBe(201);
      const again = await env.operator().post<ErrorBody>('/api/admin/orgs', { login: 'dup-org', edition: 'team' });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('ORG_EXISTS');
    });

    it('issues tokens that are shown once and work for their org', async () => {
      await env.operator().post('/api/admin/orgs', { login: 'tok-org', edition: 'enterprise' });
      const issued = await env.operator().post<{ token: string; tokenId: string }>('/api/admin/orgs/tok-org/tokens', { user: 'alice', role: 'admin' });
      expect(issued.status).toBe(201);
      expect(issued.body.token).toMatch(/^cmk\.tok-org\.[a-f0-9]{32}\./);
      const client = env.anonymous().withToken(issued.body.token);
      expect((await client.get(cmk('tok-org'))).status).toBe(200);
      expect((await env.operator().post(`/api/admin/orgs/tok-org/tokens/${issued.body.tokenId}/revoke`)).status).toBe(201);
      await waitFor(async () => (await client.get(cmk('tok-org'))).status === 401, { description: 'revoked token refused' });
      expect((await env.operator().post('/api/admin/orgs/no-such-org/tokens', { user: 'bob', role: 'admin' })).status).toBe(404);
    });
  });

  it('never mints a second token for a retried request: 409 naming the token the first one issued', async () => {
    await env.operator().post('/api/admin/orgs', { login: 'idem-tok', edition: 'team' });
    const headers = { 'idempotency-key': 'issue-bob-1' };
    const first = await env.operator().post<{ token: string; tokenId: string }>('/api/admin/orgs/idem-tok/tokens', { user: 'bob', role: 'member' }, headers);
    expect(first.status).toBe(201);
    const retry = await env.operator().post<ErrorBody>('/api/admin/orgs/idem-tok/tokens', { user: 'bob', role: 'member' }, headers);
    expect([retry.status, retry.body.error.code, retry.body.error.details['tokenId']]).toEqual([409, 'TOKEN_ALREADY_ISSUED', first.body.tokenId]);
    const other = await env.operator().post<ErrorBody>('/api/admin/orgs/idem-tok/tokens', { user: 'eve', role: 'admin' }, headers);
    expect([other.status, other.body.error.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    const store = await env.openStore();
    try {
      const issued = (await store.readStream(orgStream('idem-tok'))).filter((e) => e.type === 'AccessTokenIssued');
      expect(issued.map((e) => e.data['tokenId'])).toEqual([first.body.tokenId]);
    } finally {
      await store.close();
    }
  });

  describe('roles, editions and tenants', () => {
    it('answers 401 without a token, 403 for members, 404 for other orgs', async () => {
      const admin = await env.orgWithToken('tenant-a', 'enterprise');
      const member = await env.tokenFor('tenant-a', 'member');
      await env.orgWithToken('tenant-b', 'enterprise');
      expect((await env.anonymous().get(cmk('tenant-a'))).status).toBe(401);
      expect((await env.anonymous().withToken('cmk.tenant-a.00000000000000000000000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').get(cmk('tenant-a'))).status).toBe(401);
      const forbidden = await member.get<ErrorBody>(cmk('tenant-a'));
      expect(forbidden.status).toBe(403);
      expect(forbidden.body.error.code).toBe('ROLE_REQUIRED');
      expect((await member.post(cmk('tenant-a'), addBody('k', env.demoKey('tenant-a')))).status).toBe(403);
      expect((await member.post(`${cmk('tenant-a')}/disable-all`)).status).toBe(403);
      const other = await admin.get<ErrorBody>(cmk('tenant-b'));
      expect(other.status).toBe(404);
      expect(other.body.error.code).toBe('ORG_NOT_FOUND');
      expect((await admin.post(cmk('tenant-b'), addBody('k', env.demoKey('tenant-b')))).status).toBe(404);
      expect((await admin.get(cmk('nobody-here'))).status).toBe(404);
    });

    it('refuses keys for free and team editions with EDITION_REQUIRED', async () => {
      for (const edition of ['free', 'team']) {
        const admin = await env.orgWithToken(`ed-${edition}`, edition);
        const response = await admin.post<ErrorBody>(cmk(`ed-${edition}`), addBody('key', env.demoKey(`ed-${edition}`)));
        expect(response.status).toBe(403);
        expect(response.body.error.code).toBe('EDITION_REQUIRED');
      }
    });
  });

  describe('validation', () => {
    let admin: HttpClient;
    beforeAll(async () => {
      admin = await env.orgWithToken('valid-org', 'business-critical');
    });

    it.each([
      ['missing fields', {}, 400, 'VALIDATION_FAILED'],
      ['wrong type', { name: 'a', type: 'gcp', awsKms: { roleArn: 'arn:aws:iam::123456789012:role/r', keyArn: 'arn:aws:kms:us-east-1:123456789012:key/k' } }, 400, 'VALIDATION_FAILED'],
      ['unknown field', { name: 'a', type: 'aws_kms', extra: 1, awsKms: { roleArn: 'arn:aws:iam::123456789012:role/r', keyArn: 'arn:aws:kms:us-east-1:123456789012:key/k' } }, 400, 'VALIDATION_FAILED'],
      ['bad role ARN', { name: 'a', type: 'aws_kms', awsKms: { roleArn: 'arn:aws:iam::123:role/r', keyArn: 'arn:aws:kms:us-east-1:123456789012:key/k' } }, 400, 'INVALID_ROLE_ARN'],
      ['bad key ARN', { name: 'a', type: 'aws_kms', awsKms: { roleArn: 'arn:aws:iam::123456789012:role/r', keyArn: 'arn:aws:s3:::bucket' } }, 400, 'INVALID_KEY_ARN'],
      ['blank name', { name: '   ', type: 'aws_kms', awsKms: { roleArn: 'arn:aws:iam::123456789012:role/r', keyArn: 'arn:aws:kms:us-east-1:123456789012:key/k' } }, 400, 'INVALID_KEY_NAME'],
      ['long name', { name: 'x'.repeat(65), type: 'aws_kms', awsKms: { roleArn: 'arn:aws:iam::123456789012:role/r', keyArn: 'arn:aws:kms:us-east-1:123456789012:key/k' } }, 400, 'INVALID_KEY_NAME'],
    ])('refuses %s', async (_, body, status, code) => {
      const response = await admin.post<ErrorBody>(cmk('valid-org'), body);
      expect(response.status).toBe(status);
      expect(response.body.error.code).toBe(code);
    });

    it('names the bad fields and answers malformed JSON with 400, never 500', async () => {
      const response = await admin.post<ErrorBody>(cmk('valid-org'), { name: 5, type: 'aws_kms', awsKms: { roleArn: 7 } });
      expect(response.status).toBe(400);
      expect(Object.keys(response.body.error.details['fields'] as object)).toEqual(expect.arrayContaining(['name', 'awsKms.roleArn', 'awsKms.keyArn']));
      const malformed = await admin.request<ErrorBody>('POST', cmk('valid-org'), '{"name": ', { 'content-type': 'application/json' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.code).toBe('INVALID_JSON');
      expect(JSON.stringify(malformed.body)).not.toMatch(/at .*\.js/);
      const unknownKey = await admin.post<ErrorBody>(`${cmk('valid-org')}/does-not-exist/set-default`);
      expect(unknownKey.status).toBe(404);
      expect(unknownKey.body.error.code).toBe('KEY_NOT_FOUND');
      const noDest = await admin.post<ErrorBody>(`${cmk('valid-org')}/whatever/disable`, {});
      expect(noDest.status).toBe(400);
    });
  });

  describe('the key lifecycle an admin walks through', () => {
    const org = 'lifecycle';
    let admin: HttpClient;
    let first: DemoKey;
    let second: DemoKey;
    let firstId: string;
    let secondId: string;

    beforeAll(async () => {
      admin = await env.orgWithToken(org, 'enterprise');
      first = env.demoKey(org);
      second = env.demoKey(org);
    });

    const list = async () => (await admin.get<ListBody>(cmk(org))).body;

    it('adds the first key as default and starts re-encryption off the platform key', async () => {
      const added = await admin.post<{ key: KeyBody; reencryptionId: string }>(cmk(org), addBody('Production', first, first.aliasArn));
      expect(added.status).toBe(201);
      expect(added.body.key).toMatchObject({ name: 'Production', isDefault: true, state: 'active', canDisable: false });
      expect(added.body.reencryptionId).toMatch(/^re-/);
      firstId = added.body.key.id;
      const doc = await list();
      expect(doc.defaultKeyId).toBe(firstId);
      expect(doc.reencryption).toMatchObject({ id: added.body.reencryptionId, state: 'running', reason: 'first-key' });
      const banner = await admin.get<{ state: string }>(`${cmk(org)}/reencryption`);
      expect(banner.body.state).toBe('running');
      const events = await runs.events(org);
      const keyAdded = events.find((e) => e.type === 'KeyAdded');
      expect(keyAdded?.type === 'KeyAdded' && keyAdded.data.resolvedKeyArn).toBe(first.keyArn);
    });

    it('allows a second key during the run, but no disable and no set-default on the default', async () => {
      const added = await admin.post<{ key: KeyBody; reencryptionId: string | null }>(cmk(org), addBody('Backup', second));
      expect(added.status).toBe(201);
      expect(added.body.key.isDefault).toBe(false);
      expect(added.body.reencryptionId).toBeNull();
      secondId = added.body.key.id;
      const taken = await admin.post<ErrorBody>(cmk(org), addBody('  backup ', second));
      expect([taken.status, taken.body.error.code]).toEqual([409, 'KEY_NAME_TAKEN']);
      const isDefault = await admin.post<ErrorBody>(`${cmk(org)}/${firstId}/set-default`);
      expect([isDefault.status, isDefault.body.error.code]).toEqual([409, 'KEY_IS_DEFAULT']);
      const running = await admin.post<ErrorBody>(`${cmk(org)}/${secondId}/disable`, { destID: 'platform' });
      expect([running.status, running.body.error.code]).toEqual([409, 'REENCRYPTION_RUNNING']);
      const all = await admin.post<ErrorBody>(`${cmk(org)}/disable-all`);
      expect([all.status, all.body.error.code]).toEqual([409, 'REENCRYPTION_RUNNING']);
    });

    it('sets a default once the run is done, and disables a key into a chosen destination', async () => {
      const doc = await list();
      await runs.completeRun(org, doc.reencryption!.id);
      await waitFor(async () => (await list()).reencryption?.state === 'completed', { description: 'completed banner' });
      const set = await admin.post<{ defaultKeyId: string }>(`${cmk(org)}/${secondId}/set-default`);
      expect(set.status).toBe(200);
      expect(set.body.defaultKeyId).toBe(secondId);
      const defaultDisable = await admin.post<ErrorBody>(`${cmk(org)}/${secondId}/disable`, { destID: firstId });
      expect([defaultDisable.status, defaultDisable.body.error.code]).toEqual([409, 'KEY_IS_DEFAULT']);
      const self = await admin.post<ErrorBody>(`${cmk(org)}/${firstId}/disable`, { destID: firstId });
      expect([self.status, self.body.error.code]).toEqual([409, 'DESTINATION_INVALID']);
      const disabled = await admin.post<{ reencryptionId: string }>(`${cmk(org)}/${firstId}/disable`, { destID: secondId });
      expect(disabled.status).toBe(202);
      const after = await list();
      expect(after.keys.find((k) => k.id === firstId)).toMatchObject({ state: 'disabling', canSetDefault: false, canDisable: false });
      expect(after.reencryption).toMatchObject({ id: disabled.body.reencryptionId, state: 'running', reason: 'key-disabled' });
      await runs.completeRun(org, disabled.body.reencryptionId);
      await waitFor(async () => (await list()).keys.find((k) => k.id === firstId)?.state === 'disabled', { description: 'key disabled' });
    });

    it('disables all keys: everything back to the platform key', async () => {
      const all = await admin.post<{ reencryptionId: string }>(`${cmk(org)}/disable-all`);
      expect(all.status).toBe(202);
      const doc = await list();
      expect(doc.defaultKeyId).toBe('platform');
      expect(doc.reencryption).toMatchObject({ state: 'running', reason: 'all-keys-disabled' });
      expect(doc.keys.find((k) => k.id === secondId)?.state).toBe('disabling');
      await runs.completeRun(org, all.body.reencryptionId);
      await waitFor(async () => (await list()).keys.every((k) => k.state === 'disabled'), { description: 'all disabled' });
      const none = await admin.post<ErrorBody>(`${cmk(org)}/disable-all`);
      expect([none.status, none.body.error.code]).toEqual([409, 'NO_KEYS']);
    });
  });

  describe('audit trail', () => {
    interface History {
      events: { revision: string; type: string; actor: string; tokenId: string | null; occurredAt: string; data: Record<string, unknown> }[];
      nextRevision: string | null;
    }

    it('replays the key ring from the event store: who did what, when, paged by revision', async () => {
      const org = 'lifecycle';
      const admin = await env.tokenFor(org, 'admin', 'auditor');
      const all = await admin.get<History>(`${cmk(org)}/history?limit=500`);
      expect(all.status).toBe(200);
      const types = all.body.events.map((e) => e.type);
      expect(types.slice(0, 3)).toEqual(['KeyAdded', 'DefaultChanged', 'ReencryptionStarted']);
      expect(types.filter((t) => t === 'ReencryptionCompleted')).toHaveLength(3);
      expect(types).toEqual(expect.arrayContaining(['KeyDisabled', 'AllKeysDisabled']));
      const userEvents = all.body.events.filter((e) => e.actor.startsWith('user:'));
      expect(userEvents.length).toBeGreaterThan(0);
      expect(userEvents.every((e) => e.actor === 'user:admin-user' && typeof e.tokenId === 'string')).toBe(true);
      expect(all.body.events.find((e) => e.type === 'ReencryptionCompleted')?.actor).toBe('system');
      expect(all.body.nextRevision).toBeNull();

      const first = await admin.get<History>(`${cmk(org)}/history?limit=2`);
      expect(first.body.events.map((e) => e.revision)).toEqual(['0', '1']);
      const second = await admin.get<History>(`${cmk(org)}/history?from=${first.body.nextRevision}&limit=2`);
      expect(second.body.events.map((e) => e.type)).toEqual(types.slice(2, 4));

      expect((await admin.get<ErrorBody>(`${cmk(org)}/history?limit=0`)).body.error.code).toBe('VALIDATION_FAILED');
      expect((await admin.get(`${cmk(org)}/history?from=-1`)).status).toBe(400);
      expect((await (await env.tokenFor(org, 'member')).get(`${cmk(org)}/history`)).status).toBe(403);
      expect((await (await env.orgWithToken('other-auditor', 'enterprise')).get(`${cmk(org)}/history`)).status).toBe(404);
    });
  });

  describe('verification against KMS before a key is added', () => {
    const org = 'verify-org';
    let admin: HttpClient;
    beforeAll(async () => {
      admin = await env.orgWithToken(org, 'enterprise');
    });

    const refusal = async (body: object) => {
      const response = await admin.post<ErrorBody>(cmk(org), body);
      return [response.status, response.body.error?.code];
    };

    it('refuses each misconfiguration with its own code and never adds the key', async () => {
      const good = env.demoKey(org);
      const wrongAudience = env.demoKey('someone-else');
      expect(await refusal(addBody('aud', { ...wrongAudience, keyArn: good.keyArn }))).toEqual([422, 'KMS_ROLE_NOT_ASSUMABLE']);
      const wrongSubject = env.demoKey(org, { subjectPrefix: 'other' });
      expect(await refusal(addBody('sub', wrongSubject))).toEqual([422, 'KMS_ROLE_NOT_ASSUMABLE']);
      const noDecrypt = env.demoKey(org, { actions: ['kms:Encrypt', 'kms:GenerateDataKey'] });
      expect(await refusal(addBody('nodecrypt', noDecrypt))).toEqual([422, 'KMS_ACCESS_DENIED']);
      const disabled = env.demoKey(org);
      env.kms.setKeyState(disabled.keyArn, 'Disabled');
      expect(await refusal(addBody('disabled', disabled))).toEqual([422, 'KMS_KEY_DISABLED']);
      const deleting = env.demoKey(org);
      env.kms.setKeyState(deleting.keyArn, 'PendingDeletion');
      expect(await refusal(addBody('deleting', deleting))).toEqual([422, 'KMS_KEY_PENDING_DELETION']);
      const alias = `arn:aws:kms:${env.kms.region}:${env.kms.accountId}:alias/does-not-exist`;
      expect(await refusal(addBody('alias', good, alias))).toEqual([422, 'KMS_KEY_NOT_FOUND']);
      const listed = await admin.get<ListBody>(cmk(org));
      expect(listed.body.keys).toEqual([]);
      expect(await runs.events(org)).toEqual([]);
    });

    it('serves the OIDC discovery document and JWKS that STS fetched', async () => {
      const discovery = await env.anonymous().get<{ issuer: string; jwks_uri: string }>('/oidc/.well-known/openid-configuration');
      expect(discovery.status).toBe(200);
      expect(discovery.body.issuer).toBe(`${env.baseUrl}/oidc`);
      const jwks = await fetch(discovery.body.jwks_uri).then((r) => r.json() as Promise<{ keys: Record<string, unknown>[] }>);
      expect(jwks.keys.length).toBeGreaterThan(0);
      for (const key of jwks.keys) expect(Object.keys(key)).not.toEqual(expect.arrayContaining(['d']));
    });
  });

  describe('idempotency and races', () => {
    it('returns the first result for a retried request with the same Idempotency-Key', async () => {
      const admin = await env.orgWithToken('idem-org', 'enterprise');
      const key = env.demoKey('idem-org');
      const headers = { 'idempotency-key': 'add-key-1' };
      const first = await admin.post<{ key: KeyBody; reencryptionId: string }>(cmk('idem-org'), addBody('Only', key), headers);
      const second = await admin.post<{ key: KeyBody; reencryptionId: string }>(cmk('idem-org'), addBody('Only', key), headers);
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body.key.id).toBe(first.body.key.id);
      expect(second.body.reencryptionId).toBe(first.body.reencryptionId);
      expect((await runs.events('idem-org')).filter((e) => e.type === 'KeyAdded')).toHaveLength(1);
    });

    it('20 concurrent conflicting commands leave a valid stream and a read model equal to a fresh replay', async () => {
      const org = 'race-org';
      const admin = await env.orgWithToken(org, 'enterprise');
      const key = env.demoKey(org);
      const responses = await Promise.all(Array.from({ length: 20 }, () => admin.post<ErrorBody>(cmk(org), addBody('Contested', key))));
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(responses.filter((r) => r.status === 409).every((r) => r.body.error.code === 'KEY_NAME_TAKEN')).toBe(true);
      expect(statuses.filter((s) => s !== 201 && s !== 409)).toEqual([]);
      const events = await runs.events(org);
      expect(events.map((e) => e.type)).toEqual(['KeyAdded', 'DefaultChanged', 'ReencryptionStarted']);
      const replayed = events.reduce(evolveKeyList, initialKeyListDoc(org));
      const served = (await admin.get<ListBody>(cmk(org))).body;
      expect(served.defaultKeyId).toBe(replayed.defaultKeyId);
      expect(served.keys.map((k) => [k.id, k.state, k.isDefault, k.canSetDefault, k.canDisable])).toEqual(replayed.keys.map((k) => [k.id, k.state, k.isDefault, k.canSetDefault, k.canDisable]));
      expect(served.reencryption?.id).toBe(replayed.reencryption?.id);
    });
  });
});
