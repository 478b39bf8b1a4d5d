import type { TrustExpectations } from '@cmk/key-providers';

/** Left for the admin to fill in: we never know their account id or role name in advance. */
export const ACCOUNT_PLACEHOLDER = '<ACCOUNT_ID>';
export const ROLE_PLACEHOLDER = '<ROLE_NAME>';

/** The role trust policy libs/key-providers/README.md describes, for one org's expectations. */
export function trustPolicy(expected: TrustExpectations): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: `arn:aws:iam::${ACCOUNT_PLACEHOLDER}:oidc-provider/${expected.provider}` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${expected.provider}:aud`]: expected.audience, [`${expected.provider}:sub`]: expected.subject } },
      },
    ],
  };
}

/** The key-policy statement granting the role exactly the three actions we use. */
export function keyPolicyStatement(org: string): Record<string, unknown> {
  return {
    Sid: 'AllowCustomerManagedKeysService',
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${ACCOUNT_PLACEHOLDER}:role/${ROLE_PLACEHOLDER}` },
    Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
    Resource: '*',
    Condition: { StringEquals: { 'kms:EncryptionContext:org': org } },
  };
}
