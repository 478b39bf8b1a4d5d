import type { IssuedCredentials } from './credentials';
import type { StsError } from './errors';
import type { WebIdentity } from './web-identity';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

export function assumeRoleWithWebIdentityXml(credentials: IssuedCredentials, identity: WebIdentity, requestId: string): string {
  const e = escapeXml;
  // AWS reports the provider as the issuer without its scheme (e.g. token.actions.githubusercontent.com).
  const provider = identity.issuer.replace(/^https?:\/\//, '');
  return `<AssumeRoleWithWebIdentityResponse xmlns="${NS}">
  <AssumeRoleWithWebIdentityResult>
    <Audience>${e(identity.audience)}</Audience>
    <AssumedRoleUser>
      <AssumedRoleId>${e(credentials.assumedRoleId)}</AssumedRoleId>
      <Arn>${e(credentials.assumedRoleArn)}</Arn>
    </AssumedRoleUser>
    <Provider>${e(provider)}</Provider>
    <Credentials>
      <AccessKeyId>${credentials.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${e(credentials.secretAccessKey)}</SecretAccessKey>
      <SessionToken>${e(credentials.sessionToken)}</SessionToken>
      <Expiration>${new Date(credentials.expiresAt).toISOString()}</Expiration>
    </Credentials>
    <SubjectFromWebIdentityToken>${e(identity.subject)}</SubjectFromWebIdentityToken>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>${requestId}</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
`;
}

export function stsErrorXml(error: StsError, requestId: string): string {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return `<ErrorResponse xmlns="${NS}">
  <Error>
    <Type>${type}</Type>
    <Code>${error.code}</Code>
    <Message>${escapeXml(error.message)}</Message>
  </Error>
  <RequestId>${requestId}</RequestId>
</ErrorResponse>
`;
}
