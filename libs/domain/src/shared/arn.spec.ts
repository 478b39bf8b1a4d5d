import { DomainError } from './domain-error';
import { parseKeyArn, parseRoleArn, validateKeyArn, validateRoleArn } from './arn';
import { isOrgLogin, validateOrgLogin } from './org-login';

describe('role ARNs', () => {
  it.each([
    ['arn:aws:iam::123456789012:role/cmk', { partition: 'aws', accountId: '123456789012', path: '/', roleName: 'cmk' }],
    ['arn:aws-cn:iam::123456789012:role/team/infra/cmk-access', { partition: 'aws-cn', path: '/team/infra/', roleName: 'cmk-access' }],
    ['arn:aws-us-gov:iam::123456789012:role/a+b=c,d.e@f_g-h', { partition: 'aws-us-gov', roleName: 'a+b=c,d.e@f_g-h' }],
  ])('accepts %s', (arn, parts) => {
    expect(parseRoleArn(arn)).toMatchObject(parts);
    expect(validateRoleArn(arn)).toMatchObject(parts);
  });

  it.each([
    'arn:aws:iam::12345678901:role/cmk',
    'arn:aws:iam::123456789012:user/cmk',
    'arn:aws:iam:us-east-1:123456789012:role/cmk',
    'arn:aws-iso:iam::123456789012:role/cmk',
    'arn:aws:iam::123456789012:role/',
    `arn:aws:iam::123456789012:role/${'x'.repeat(65)}`,
    ' arn:aws:iam::123456789012:role/cmk',
  ])('refuses %s with INVALID_ROLE_ARN', (arn) => {
    expect(parseRoleArn(arn)).toBeUndefined();
    expect(() => validateRoleArn(arn)).toThrow(expect.objectContaining({ code: 'INVALID_ROLE_ARN' }));
  });
});

describe('key ARNs', () => {
  it('parses key ARNs (UUID, multi-region and emulator ids) with region and account', () => {
    expect(parseKeyArn('arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab')).toEqual({
      partition: 'aws',
      region: 'eu-west-1',
      accountId: '123456789012',
      kind: 'key',
      resource: '1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    expect(parseKeyArn('arn:aws:kms:ap-southeast-2:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab')).toMatchObject({ region: 'ap-southeast-2' });
    expect(parseKeyArn('arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab')).toMatchObject({
      partition: 'aws-us-gov',
      region: 'us-gov-west-1',
    });
    expect(parseKeyArn('arn:aws-cn:kms:cn-north-1:123456789012:key/test-key-1')).toMatchObject({ kind: 'key', resource: 'test-key-1' });
  });

  it('parses alias ARNs and refuses AWS managed aliases', () => {
    expect(parseKeyArn('arn:aws:kms:us-east-1:123456789012:alias/team/prod_key')).toMatchObject({ kind: 'alias', resource: 'team/prod_key' });
    expect(parseKeyArn('arn:aws:kms:us-east-1:123456789012:alias/aws/s3')).toBeUndefined();
  });

  it.each([
    'arn:aws:kms:us-east-1:123456789012:key/',
    'arn:aws:kms::123456789012:key/abc',
    'arn:aws:kms:us-east-1:123:key/abc',
    'arn:aws:kms:US-EAST-1:123456789012:key/abc',
    'arn:aws:s3:us-east-1:123456789012:key/abc',
    '1234abcd-12ab-34cd-56ef-1234567890ab',
  ])('refuses %s with INVALID_KEY_ARN', (arn) => {
    expect(parseKeyArn(arn)).toBeUndefined();
    expect(() => validateKeyArn(arn)).toThrow(DomainError);
    expect(() => validateKeyArn(arn)).toThrow(expect.objectContaining({ code: 'INVALID_KEY_ARN' }));
  });

  it('refuses an alias where a resolved key ARN is required', () => {
    const alias = 'arn:aws:kms:us-east-1:123456789012:alias/prod';
    expect(validateKeyArn(alias).kind).toBe('alias');
    expect(() => validateKeyArn(alias, { allowAlias: false })).toThrow(expect.objectContaining({ code: 'INVALID_KEY_ARN' }));
  });
});

describe('org logins', () => {
  it.each(['acme', 'a', '0rg', 'acme-corp', 'a'.repeat(39)])('accepts %s', (login) => {
    expect(isOrgLogin(login)).toBe(true);
    expect(validateOrgLogin(login)).toBe(login);
  });

  it.each(['', 'Acme', '-acme', 'acme_corp', 'a'.repeat(40), 'acme corp'])('refuses %j', (login) => {
    expect(isOrgLogin(login)).toBe(false);
    expect(() => validateOrgLogin(login)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
