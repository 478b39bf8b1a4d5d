import { randomBytes } from 'node:crypto';
import type { JsonValue } from '@cmk/eventstore';
import { E2eEnvironment } from '../e2e-environment';
import { routesFromOpenApi, type FuzzRoute, type FuzzTarget } from './api-fuzz';

/**
 * The stack the fuzzer runs against: the built api and a worker, a private Redis that requires a
 * password (so the run also proves the apps accept one in `REDIS_URL`), the KMS emulator, and an
 * org with a customer key, tokens of every role, and secrets whose plaintexts, wrapped data keys
 * and token hashes the fuzzer must never see in an answer. The apps log every request
 * (`LOG_LEVEL=log`) so their output can be searched for leaks too.
 */
export interface FuzzStack {
  readonly env: E2eEnvironment;
  readonly target: FuzzTarget;
  readonly routes: FuzzRoute[];
}

/**
 * The inbound rate limits stay on (every request is still counted) but with budgets the run never
 * spends, so requests reach validation and the handlers instead of a 429 (which the property
 * would check like any other error).
 */
const RAISED_RATE_LIMITS = Object.fromEntries(['SECRETS', 'COMMANDS', 'READS', 'OPERATOR', 'ANONYMOUS'].map((budget) => [`CMK_RATE_LIMIT_${budget}`, '10000000']));

const ORG = 'fz';
const OTHER_ORG = 'fy';

/** Every string under a key that holds key material or a hash (`wrapped`, a token's `sha256`, a webhook's wrapped secret, ...), anywhere in an event's data. */
function secretFields(value: JsonValue, out: string[]): void {
  if (Array.isArray(value)) for (const item of value) secretFields(item, out);
  else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (typeof inner === 'string' && (key === 'wrapped' || key === 'sha256' || /hash$|secret|plaintext|privateKey/i.test(key))) out.push(inner);
      else if (inner !== undefined) secretFields(inner, out);
    }
  }
}

export async function startFuzzStack(extraEnv: Record<string, string> = {}): Promise<FuzzStack> {
  const env = await E2eEnvironment.start({ worker: true, redisPassword: randomBytes(16).toString('hex'), env: { LOG_LEVEL: 'log', ...RAISED_RATE_LIMITS, ...extraEnv } });
  try {
    const operator = env.operator();
    for (const login of [ORG, OTHER_ORG]) {
      const created = await operator.post('/api/admin/orgs', { login, edition: 'enterprise' });
      if (created.status !== 201) throw new Error(`org ${login}: ${created.status}`);
    }
    const issue = async (org: string, role: 'admin' | 'member' | 'auditor', user: string) => {
      const reply = await operator.post<{ token: string; tokenId: string }>(`/api/admin/orgs/${org}/tokens`, { user, role });
      if (reply.status !== 201) throw new Error(`token ${org}/${user}: ${reply.status}`);
      return reply.body;
    };
    const admin = await issue(ORG, 'admin', 'fuzz-admin');
    const member = await issue(ORG, 'member', 'fuzz-member');
    const auditor = await issue(ORG, 'auditor', 'fuzz-auditor');
    const spare = await issue(ORG, 'member', 'fuzz-spare');
    const revoked = await issue(ORG, 'admin', 'fuzz-revoked');
    await operator.post(`/api/admin/orgs/${ORG}/tokens/${revoked.tokenId}/revoke`);
    const otherAdmin = await issue(OTHER_ORG, 'admin', 'other-admin');
    const otherMember = await issue(OTHER_ORG, 'member', 'other-member');

    const key = env.demoKey(ORG);
    const added = await env.anonymous().withToken(admin.token).post<{ key: { id: string } }>(`/api/orgs/${ORG}/customer-managed-keys`, { name: 'Fuzz', type: 'aws_kms', awsKms: { roleArn: key.roleArn, keyArn: key.keyArn } });
    if (added.status !== 201) throw new Error(`key: ${added.status} ${JSON.stringify(added.body)}`);

    // Plaintexts of both orgs; only the other org's ciphertexts are handed to the fuzzer (its
    // own org's would rightly decrypt for a member).
    const plaintexts = [`fuzz-secret-${randomBytes(12).toString('hex')}`, `fuzz-secret-${randomBytes(12).toString('hex')}`];
    const own = await env.anonymous().withToken(member.token).post<{ ciphertexts: string[] }>(`/api/orgs/${ORG}/secrets/encrypt`, { scope: 'prod', values: [plaintexts[0]] });
    const other = await env.anonymous().withToken(otherMember.token).post<{ ciphertexts: string[] }>(`/api/orgs/${OTHER_ORG}/secrets/encrypt`, { scope: 'prod', values: [plaintexts[1]] });
    if (own.status !== 200 || other.status !== 200) throw new Error(`encrypt: ${own.status} ${other.status}`);
    const forged = `cmk.${ORG}.${randomBytes(16).toString('hex')}.${randomBytes(32).toString('base64url')}`;

    const store = await env.openStore();
    const stored: string[] = [];
    try {
      for (const event of await store.readAll()) secretFields(event.data as JsonValue, stored);
    } finally {
      await store.close();
    }
    const tokens = [admin, member, auditor, spare, revoked, otherAdmin, otherMember].map((t) => t.token);
    const secrets = [...tokens, ...tokens.map((t) => t.split('.')[3] ?? t), env.operatorToken, ...plaintexts, ...stored, ...own.body.ciphertexts.map((c) => c.slice(-24))];

    const document = await env.anonymous().get<Parameters<typeof routesFromOpenApi>[0]>('/api/openapi.json');
    if (document.status !== 200) throw new Error(`openapi: ${document.status}`);
    const target: FuzzTarget = {
      baseUrl: env.baseUrl,
      org: ORG,
      tokens: { admin: admin.token, member: member.token, auditor: auditor.token, operator: env.operatorToken, 'other-org': otherAdmin.token, revoked: revoked.token, forged },
      knownIds: { keyId: [added.body.key.id, 'platform'], tokenId: [spare.tokenId, revoked.tokenId], webhookId: ['wh-none'], dataKeyId: ['dk-none'] },
      bodyStrings: [...other.body.ciphertexts, key.roleArn, key.keyArn, added.body.key.id],
      secrets: [...new Set(secrets)].filter((s) => s.length >= 12),
    };
    return { env, target, routes: routesFromOpenApi(document.body) };
  } catch (error) {
    await env.stop();
    throw error;
  }
}
