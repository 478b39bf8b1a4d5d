import { DecryptCommand, EncryptCommand, KMSClient, KMSServiceException } from '@aws-sdk/client-kms';
import {
  AssumeRoleWithWebIdentityCommand,
  ExpiredTokenException,
  IDPCommunicationErrorException,
  InvalidIdentityTokenException,
  STSClient,
  STSServiceException,
  type Credentials,
} from '@aws-sdk/client-sts';
import { freePort } from '@cmk/testing';
import { startKmsEmulator, type KmsEmulator } from './index';
import { startTestOidcIssuer, type TestOidcIssuer } from './testing/test-oidc-issuer';

const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/cmk/acme-cmk`;
const OTHER_ROLE = `arn:aws:iam::${ACCOUNT}:role/other`;
const AUDIENCE = 'aws:acme';
const SUBJECT = 'pulumi:cmk:organization.login:acme';

describe('STS AssumeRoleWithWebIdentity through the real @aws-sdk/client-sts', () => {
  let issuer: TestOidcIssuer;
  let stranger: TestOidcIssuer;
  let emulator: KmsEmulator;
  let sts: STSClient;
  let keyArn: string;
  let otherKeyArn: string;
  let clockOffsetMs = 0;

  beforeAll(async () => {
    issuer = await startTestOidcIssuer();
    stranger = await startTestOidcIssuer();
    emulator = await startKmsEmulator({ now: () => Date.now() + clockOffsetMs });
    sts = new STSClient({ endpoint: emulator.url, region: 'us-east-1', maxAttempts: 1 });
    keyArn = emulator.createKey({ alias: 'alias/acme' }).keyArn;
    otherKeyArn = emulator.createKey().keyArn;
    emulator.registerRole({
      roleArn: ROLE,
      trust: { issuer: issuer.issuer, audience: AUDIENCE, subject: 'pulumi:cmk:organization.login:*' },
      allow: [{ keyArn, actions: ['kms:Encrypt', 'kms:GenerateDataKey'] }],
    });
    emulator.registerRole({ roleArn: OTHER_ROLE, trust: { issuer: issuer.issuer, audience: 'aws:other', subject: '*' }, allow: [] });
  });
  afterAll(async () => {
    sts.destroy();
    await emulator.close();
    await issuer.close();
    await stranger.close();
  });

  function assume(token: string, roleArn = ROLE, durationSeconds?: number): Promise<Credentials> {
    return sts
      .send(new AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: 'rewrap-1', WebIdentityToken: token, DurationSeconds: durationSeconds }))
      .then((out) => {
        if (!out.Credentials) throw new Error('no credentials');
        return out.Credentials;
      });
  }

  function kmsAs(credentials: Credentials): KMSClient {
    return new KMSClient({
      endpoint: emulator.url,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: credentials.AccessKeyId ?? '', secretAccessKey: credentials.SecretAccessKey ?? '', sessionToken: credentials.SessionToken },
    });
  }

  async function rejection(promise: Promise<unknown>): Promise<STSServiceException> {
    const error = await promise.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(STSServiceException);
    return error as STSServiceException;
  }

  it.each(['RS256', 'ES256'] as const)('issues credentials for a valid %s token and the SDK parses the XML', async (alg) => {
    const out = await sts.send(
      new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE, RoleSessionName: 'rewrap-1', WebIdentityToken: issuer.sign({ aud: AUDIENCE, sub: SUBJECT }, { alg }), DurationSeconds: 900 }),
    );
    expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/acme-cmk/rewrap-1`);
    expect(out.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z0-9]+:rewrap-1$/);
    expect(out).toMatchObject({ SubjectFromWebIdentityToken: SUBJECT, Audience: AUDIENCE, Provider: issuer.issuer.replace('http://', '') });
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    const lifetime = (out.Credentials?.Expiration?.getTime() ?? 0) - Date.now();
    expect(lifetime).toBeGreaterThan(890_000);
    expect(lifetime).toBeLessThanOrEqual(900_000);
    expect(out.$metadata.requestId).toBeDefined();
  });

  it('caches the JWKS per issuer instead of fetching it per call', async () => {
    await assume(issuer.sign({ aud: AUDIENCE, sub: SUBJECT }));
    await assume(issuer.sign({ aud: AUDIENCE, sub: SUBJECT }));
    expect(issuer.fetches).toEqual({ discovery: 1, jwks: 1 });
  });

  it('authorises role credentials per action on the key ARN, after resolving aliases', async () => {
    const kms = kmsAs(await assume(issuer.sign({ aud: AUDIENCE, sub: SUBJECT })));
    const sealed = await kms.send(new EncryptCommand({ KeyId: 'alias/acme', Plaintext: Buffer.from('x') }));
    expect(sealed.KeyId).toBe(keyArn);
    const denied = await kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob })).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(KMSServiceException);
    expect((denied as KMSServiceException).name).toBe('AccessDeniedException');
    expect((denied as Error).message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/acme-cmk/rewrap-1 is not authorized to perform: kms:Decrypt on resource: ${keyArn} because no identity-based policy allows the kms:Decrypt action`,
    );
    const otherKey = await kms.send(new EncryptCommand({ KeyId: otherKeyArn, Plaintext: Buffer.from('x') })).catch((e: unknown) => e);
    expect((otherKey as KMSServiceException).name).toBe('AccessDeniedException');
    expect(emulator.stats().byRole[ROLE]).toBeGreaterThanOrEqual(3);
    kms.destroy();
  });

  it('expires role credentials after DurationSeconds with ExpiredTokenException', async () => {
    const kms = kmsAs(await assume(issuer.sign({ aud: AUDIENCE, sub: SUBJECT }), ROLE, 900));
    await kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('x') }));
    clockOffsetMs = 901_000;
    try {
      const expired = await kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('x') })).catch((e: unknown) => e);
      expect((expired as KMSServiceException).name).toBe('ExpiredTokenException');
    } finally {
      clockOffsetMs = 0;
      kms.destroy();
    }
  });

  it('refuses an audience the provider does not know (InvalidIdentityToken, 400)', async () => {
    const error = await rejection(assume(issuer.sign({ aud: 'aws:unknown', sub: SUBJECT })));
    expect(error).toBeInstanceOf(InvalidIdentityTokenException);
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('refuses an audience the role does not trust (AccessDenied, 403)', async () => {
    const error = await rejection(assume(issuer.sign({ aud: 'aws:other', sub: SUBJECT })));
    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata.httpStatusCode).toBe(403);
  });

  it('refuses a subject outside the trust pattern (AccessDenied, 403)', async () => {
    const error = await rejection(assume(issuer.sign({ aud: AUDIENCE, sub: 'pulumi:cmk:team.login:acme' })));
    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata.httpStatusCode).toBe(403);
  });

  it('refuses a token from an issuer with no provider (InvalidIdentityToken)', async () => {
    const error = await rejection(assume(stranger.sign({ aud: AUDIENCE, sub: SUBJECT })));
    expect(error).toBeInstanceOf(InvalidIdentityTokenException);
    expect(error.message).toContain(stranger.issuer);
  });

  it('refuses an expired token (ExpiredTokenException)', async () => {
    const error = await rejection(assume(issuer.sign({ aud: AUDIENCE, sub: SUBJECT }, { expiresIn: -5 })));
    expect(error).toBeInstanceOf(ExpiredTokenException);
  });

  it('refuses bad signatures: an unpublished key, and a tampered payload', async () => {
    const forged = await rejection(assume(issuer.sign({ aud: AUDIENCE, sub: SUBJECT }, { foreignKey: true, alg: 'ES256' })));
    expect(forged).toBeInstanceOf(InvalidIdentityTokenException);
    const [header, , signature] = issuer.sign({ aud: AUDIENCE, sub: SUBJECT }).split('.');
    const payload = Buffer.from(JSON.stringify({ iss: issuer.issuer, aud: AUDIENCE, sub: `${SUBJECT}x`, exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url');
    const tampered = await rejection(assume(`${header}.${payload}.${signature}`));
    expect(tampered).toBeInstanceOf(InvalidIdentityTokenException);
    expect(tampered.message).toBe('Invalid token signature');
  });

  it('answers IDPCommunicationError when the issuer cannot be reached', async () => {
    const deadIssuer = `http://127.0.0.1:${await freePort()}`;
    emulator.registerRole({ roleArn: `arn:aws:iam::${ACCOUNT}:role/dead`, trust: { issuer: deadIssuer, audience: AUDIENCE, subject: '*' }, allow: [] });
    const token = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: deadIssuer, aud: AUDIENCE, sub: 's', exp: 9e9 })).toString('base64url')}.c2ln`;
    const error = await rejection(assume(token, `arn:aws:iam::${ACCOUNT}:role/dead`));
    expect(error).toBeInstanceOf(IDPCommunicationErrorException);
  });

  it('fails every STS call while an outage is set over the control API, and recovers when cleared', async () => {
    const control = (outage: string | null) =>
      fetch(`${emulator.url}/_emulator/sts-outage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outage }) });
    const token = () => issuer.sign({ aud: AUDIENCE, sub: SUBJECT });
    expect((await control('unavailable')).status).toBe(200);
    const down = await rejection(assume(token()));
    expect([down.name, down.$metadata.httpStatusCode]).toEqual(['InternalFailure', 500]);
    await control('idp-unreachable');
    expect(await rejection(assume(token()))).toBeInstanceOf(IDPCommunicationErrorException);
    expect((await control('sideways')).status).toBe(400);
    await control(null);
    await expect(assume(token())).resolves.toMatchObject({ AccessKeyId: expect.any(String) });
  });
});
