import type { HttpClient } from '@cmk/testing';
import { E2eEnvironment } from './e2e-environment';

interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

const ORG = 'quiet';

/**
 * What a KMS refusal on the secrets routes says, by role, through the real api and the KMS
 * emulator: the admin gets the ARNs and AWS's message (to fix the key), the member the code and a
 * plain sentence.
 */
describe('KMS refusals on the secrets routes: less said to members', () => {
  let env: E2eEnvironment;
  let admin: HttpClient;
  let member: HttpClient;
  let keyArn: string;
  let roleArn: string;

  beforeAll(async () => {
    env = await E2eEnvironment.start({ worker: true });
    admin = await env.orgWithToken(ORG, 'enterprise');
    member = await env.tokenFor(ORG, 'member');
    const demo = env.demoKey(ORG);
    keyArn = demo.keyArn;
    roleArn = demo.roleArn;
    const added = await admin.post('/api/orgs/quiet/customer-managed-keys', { name: 'Production', type: 'aws_kms', awsKms: { roleArn, keyArn } });
    expect(added.status).toBe(201);
    expect((await member.post('/api/orgs/quiet/secrets/encrypt', { scope: 'before', values: ['v'] })).status).toBe(200);
    env.kms.setKeyState(keyArn, 'Disabled');
  }, 120_000);

  afterAll(async () => {
    await env?.stop();
  });

  it('gives the member the code and a plain sentence, without an ARN, an account or AWS words', async () => {
    const refused = await member.post<ErrorBody>('/api/orgs/quiet/secrets/encrypt', { scope: 'member-new-scope', values: ['v'] });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('KMS_KEY_DISABLED');
    expect(refused.body.error.message).toBe("Your organization's encryption key is disabled. Ask an organization admin to enable it.");
    expect(Object.keys(refused.body.error.details)).toEqual(['requestId']);
    const text = JSON.stringify(refused.body);
    for (const leak of ['arn:aws', env.kms.accountId, 'DisabledException', 'kms:']) expect(text).not.toContain(leak);
  });

  it('gives the admin the key ARN, the role ARN and AWS message', async () => {
    const refused = await admin.post<ErrorBody>('/api/orgs/quiet/secrets/encrypt', { scope: 'admin-new-scope', values: ['v'] });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('KMS_KEY_DISABLED');
    expect(refused.body.error.message).toContain(keyArn);
    expect(refused.body.error.details).toMatchObject({ keyArn, roleArn, awsError: 'DisabledException' });
  });
});
