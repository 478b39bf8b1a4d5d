import type { ArgumentsHost } from '@nestjs/common';
import { ApplicationError } from '@cmk/application';
import { mapKmsFailure, mapStsFailure } from '@cmk/key-providers';
import type { Principal } from '../auth/principal';
import { ErrorFilter } from './error.filter';
import type { ErrorBody } from './error-body';

const ROLE_ARN = 'arn:aws:iam::111122223333:role/cmk-acme';
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const AWS_MESSAGE = `User: ${ROLE_ARN}/session is not authorized to perform: kms:Decrypt on resource: ${KEY_ARN}`;

/** Runs the filter as the HTTP layer would, for a caller, and returns what the client receives. */
function answer(exception: unknown, principal: Principal | undefined): { status: number; body: ErrorBody } {
  const sent: { status: number; body: ErrorBody } = { status: 0, body: undefined as unknown as ErrorBody };
  const response = {
    headersSent: false,
    status(code: number) {
      sent.status = code;
      return this;
    },
    type() {
      return this;
    },
    json(body: ErrorBody) {
      sent.body = body;
      return this;
    },
  };
  const request = { method: 'POST', path: '/api/orgs/acme/secrets/decrypt', headers: {}, principal };
  const host = { switchToHttp: () => ({ getResponse: () => response, getRequest: () => request }) } as unknown as ArgumentsHost;
  new ErrorFilter().catch(exception, host);
  return sent;
}

const member: Principal = { kind: 'user', orgId: 'acme', user: 'mia', role: 'member', tokenId: 't1' };
const admin: Principal = { kind: 'user', orgId: 'acme', user: 'ada', role: 'admin', tokenId: 't2' };
const denied = () => mapKmsFailure({ name: 'AccessDeniedException', message: AWS_MESSAGE, $metadata: { httpStatusCode: 400 } }, { operation: 'Decrypt', keyArn: KEY_ARN, roleArn: ROLE_ARN });

describe('key-provider failures: members get the code and a plain sentence, admins the details', () => {
  it('tells a member what happened and whom to ask, without an ARN or AWS message', () => {
    const { status, body } = answer(denied(), member);
    expect(status).toBe(422);
    expect(body.error.code).toBe('KMS_ACCESS_DENIED');
    expect(body.error.message).toMatch(/^Your organization's encryption key cannot be used.*Ask an organization admin/);
    expect(Object.keys(body.error.details)).toEqual(['requestId']);
    const text = JSON.stringify(body);
    for (const secret of ['arn:aws', '111122223333', 'not authorized', 'kms:Decrypt']) expect(text).not.toContain(secret);
  });

  it('gives an admin the role ARN, the key ARN and AWS message', () => {
    const { status, body } = answer(denied(), admin);
    expect(status).toBe(422);
    expect(body.error.message).toContain(KEY_ARN);
    expect(body.error.details).toMatchObject({ roleArn: ROLE_ARN, keyArn: KEY_ARN, awsError: 'AccessDeniedException', awsMessage: AWS_MESSAGE, permission: 'kms:Decrypt' });
  });

  it('covers trust-policy failures and transient ones the same way, keeping the status', () => {
    const sts = mapStsFailure({ name: 'AccessDenied', message: `Not authorized to perform sts:AssumeRoleWithWebIdentity on ${ROLE_ARN}` }, ROLE_ARN, { issuer: 'https://cmk.example/oidc', provider: 'cmk.example/oidc', audience: 'aws:acme', subject: 'cmk:cmk:organization.login:acme' });
    const forMember = answer(sts, member);
    expect(forMember.status).toBe(422);
    expect(forMember.body.error.code).toBe('KMS_ROLE_NOT_ASSUMABLE');
    expect(JSON.stringify(forMember.body)).not.toMatch(/arn:aws|cmk\.example|aws:acme/);
    expect(answer(sts, admin).body.error.details).toMatchObject({ roleArn: ROLE_ARN, expectedSubject: 'cmk:cmk:organization.login:acme' });

    const throttled = answer(mapKmsFailure({ name: 'ThrottlingException', message: 'Rate exceeded' }, { operation: 'Decrypt', keyArn: KEY_ARN, roleArn: ROLE_ARN }), member);
    expect(throttled.status).toBe(503);
    expect(throttled.body.error).toMatchObject({ code: 'KMS_THROTTLED', message: 'The key service is busy; retry shortly.' });
  });

  it('leaves other errors as they are for members (their own input)', () => {
    const malformed = new ApplicationError('CIPHERTEXT_MALFORMED', 400, 'The ciphertext is malformed: 3 parts', { index: 2 });
    expect(answer(malformed, member).body).toEqual({ error: { code: 'CIPHERTEXT_MALFORMED', message: 'The ciphertext is malformed: 3 parts', details: { index: 2 } } });
  });
});
