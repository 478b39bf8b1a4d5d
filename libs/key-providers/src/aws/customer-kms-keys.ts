import { parseKeyArn, parseRoleArn, type KeyArnParts } from '@cmk/domain';
import { kmsError } from '../errors';
import type { AwsClientPool } from './aws-client-pool';
import { CustomerKmsKeyProvider } from './customer-kms-provider';
import { KmsCalls, type ThrottleRetryOptions } from './kms-calls';
import type { WebIdentityCredentials } from './web-identity-credentials';

/**
 * Builds what talking to a customer's KMS needs: the role session (cached per org and role) and
 * a KMS client per (org, region, role). Clients are per org, not only per role: each
 * organisation assumes the role with its own token, so sessions must never be shared.
 */
export class CustomerKmsKeys {
  constructor(
    private readonly clients: AwsClientPool,
    private readonly credentials: WebIdentityCredentials,
    private readonly retry: ThrottleRetryOptions = {},
  ) {}

  /** KMS operations as `roleArn` for `orgId` in `region`. */
  calls(orgId: string, roleArn: string, region: string): KmsCalls {
    const cacheKey = `${orgId}\n${region}\n${roleArn}`;
    return new KmsCalls(
      {
        client: () => this.clients.kmsClient(cacheKey, region, this.credentials.provider(orgId, roleArn, region)),
        renewCredentials: () => {
          this.credentials.invalidate(orgId, roleArn);
          this.clients.evictKmsClient(cacheKey);
        },
      },
      roleArn,
      this.retry,
    );
  }

  /** A provider for a resolved key ARN (aliases are refused: they can be repointed). */
  provider(orgId: string, roleArn: string, resolvedKeyArn: string): CustomerKmsKeyProvider {
    checkRoleArn(roleArn);
    const key = checkKeyArn(resolvedKeyArn);
    if (key.kind !== 'key') throw kmsError('INVALID_KEY_ARN', 'A resolved key ARN (arn:aws:kms:<region>:<account>:key/<id>) is required, not an alias', { keyArn: resolvedKeyArn });
    return new CustomerKmsKeyProvider(orgId, roleArn, resolvedKeyArn, this.calls(orgId, roleArn, key.region));
  }
}

export function checkRoleArn(roleArn: string): void {
  if (!parseRoleArn(roleArn)) throw kmsError('INVALID_ROLE_ARN', 'Role ARN must look like arn:aws:iam::<12 digits>:role/<name>', { roleArn });
}

export function checkKeyArn(keyArn: string): KeyArnParts {
  const parts = parseKeyArn(keyArn);
  if (!parts) throw kmsError('INVALID_KEY_ARN', 'Key ARN must look like arn:aws:kms:<region>:<12 digits>:key/<id> or :alias/<name>', { keyArn });
  return parts;
}
