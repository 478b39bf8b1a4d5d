import { accessKeyIdFrom } from './credentials';
import { isAllowed, RoleRegistry } from './roles';

describe('roles and policies', () => {
  const keyArn = 'arn:aws:kms:us-east-1:111122223333:key/k1';
  const registry = new RoleRegistry();
  const role = registry.put({
    roleArn: 'arn:aws:iam::111122223333:role/path/app',
    trust: { issuer: 'https://issuer.example/', audience: 'aws:acme', subject: 'org:?:login:*' },
    allow: [
      { keyArn, actions: ['kms:Encrypt'] },
      { keyArn: '*', actions: ['kms:DescribeKey'] },
    ],
  });

  it('matches subjects with IAM StringLike wildcards only', () => {
    expect(role.roleName).toBe('app');
    expect(role.subjectPattern.test('org:a:login:anything:at:all')).toBe(true);
    expect(role.subjectPattern.test('org:ab:login:x')).toBe(false);
    expect(registry.put({ ...role, trust: { ...role.trust, subject: 'a.b' } }).subjectPattern.test('axb')).toBe(false);
  });

  it('allows an action only on the named key or on *', () => {
    expect(isAllowed(role, 'kms:Encrypt', keyArn)).toBe(true);
    expect(isAllowed(role, 'kms:Decrypt', keyArn)).toBe(false);
    expect(isAllowed(role, 'kms:Encrypt', 'arn:aws:kms:us-east-1:111122223333:key/k2')).toBe(false);
    expect(isAllowed(role, 'kms:DescribeKey', 'arn:aws:kms:us-east-1:111122223333:key/k2')).toBe(true);
  });

  it('treats issuers with and without a trailing slash as one OIDC provider', () => {
    expect(registry.audiencesOf('https://issuer.example')).toEqual(new Set(['aws:acme']));
    expect(registry.audiencesOf('https://other.example')).toBeUndefined();
  });

  it('reads the access key id from a SigV4 Authorization header', () => {
    const header = 'AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=abc';
    expect(accessKeyIdFrom(header)).toBe('ASIAEXAMPLE');
    expect(accessKeyIdFrom('Bearer x')).toBeUndefined();
    expect(accessKeyIdFrom(undefined)).toBeUndefined();
  });
});
