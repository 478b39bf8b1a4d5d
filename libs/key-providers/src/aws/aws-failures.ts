import type { ApplicationError } from '@cmk/application';
import { kmsError } from '../errors';
import type { TrustExpectations } from '../oidc/oidc-issuer';

export type KmsOperation = 'Encrypt' | 'Decrypt' | 'GenerateDataKey';

/** Where a KMS call went: named in error details so the admin knows what to fix. */
export interface KmsCallSite {
  readonly operation: KmsOperation;
  /** The key (or alias) ARN the call named. */
  readonly keyArn: string;
  /** The customer's role; absent for the platform key (ambient operator credentials). */
  readonly roleArn?: string;
}

interface AwsFailure {
  readonly name: string;
  /** AWS's own message: it names ARNs and actions, never credentials. Trimmed to be safe. */
  readonly message: string;
  readonly httpStatus: number | undefined;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ECONNABORTED']);
const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'LimitExceededException', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown']);
const OUTAGE = new Set(['KMSInternalException', 'DependencyTimeoutException', 'KeyUnavailableException', 'InternalFailure', 'ServiceUnavailable', 'TimeoutError', 'RequestTimeout']);
/** KMS rejected the session itself: drop the cached credentials and assume the role again. */
const CREDENTIAL_FAILURES = new Set(['ExpiredTokenException', 'ExpiredToken', 'UnrecognizedClientException', 'InvalidClientTokenId']);

export function describeAwsFailure(error: unknown): AwsFailure {
  if (typeof error !== 'object' || error === null) return { name: 'Unknown', message: String(error).slice(0, 300), httpStatus: undefined };
  const e = error as { name?: unknown; code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const code = typeof e.code === 'string' && NETWORK_CODES.has(e.code) ? e.code : undefined;
  const name = code ?? (typeof e.name === 'string' ? e.name : 'Unknown');
  const status = e.$metadata?.httpStatusCode;
  return { name, message: typeof e.message === 'string' ? e.message.slice(0, 300) : '', httpStatus: typeof status === 'number' ? status : undefined };
}

export function isCredentialFailure(error: unknown): boolean {
  return CREDENTIAL_FAILURES.has(describeAwsFailure(error).name);
}

/** Maps a KMS SDK failure (after the SDK's retries) to a stable, admin-actionable error. */
export function mapKmsFailure(error: unknown, site: KmsCallSite): ApplicationError {
  const failure = describeAwsFailure(error);
  const details = { ...site, awsError: failure.name, awsMessage: failure.message };
  const who = site.roleArn ? `role ${site.roleArn}` : 'the platform credentials';
  const permission = `kms:${site.operation}`;
  switch (true) {
    case failure.name === 'AccessDeniedException':
      return kmsError('KMS_ACCESS_DENIED', `The key policy of ${site.keyArn} does not allow ${who} to use ${permission}. Grant ${permission} to the role in the key policy.`, {
        ...details,
        permission,
      });
    case failure.name === 'DisabledException':
      return kmsError('KMS_KEY_DISABLED', `KMS key ${site.keyArn} is disabled. Enable it in AWS KMS.`, details);
    case failure.name === 'KMSInvalidStateException' && /pending\s*(deletion|replica)/i.test(failure.message):
      return kmsError('KMS_KEY_PENDING_DELETION', `KMS key ${site.keyArn} is scheduled for deletion. Cancel the deletion (and enable the key) in AWS KMS.`, details);
    case failure.name === 'KMSInvalidStateException':
      return kmsError('KMS_KEY_DISABLED', `KMS key ${site.keyArn} is not in a usable state: ${failure.message}`, details);
    case failure.name === 'NotFoundException':
      return kmsError('KMS_KEY_NOT_FOUND', `KMS key or alias ${site.keyArn} does not exist (check the ARN, region and account).`, details);
    case failure.name === 'InvalidCiphertextException' || failure.name === 'IncorrectKeyException':
      return kmsError('KMS_INVALID_CIPHERTEXT', `The wrapped data key cannot be decrypted with ${site.keyArn}: it was altered, belongs to another key, or the encryption context differs.`, details);
    case THROTTLING.has(failure.name):
      return kmsError('KMS_THROTTLED', `AWS KMS throttled ${permission} on ${site.keyArn}; try again later.`, details);
    case CREDENTIAL_FAILURES.has(failure.name):
      return kmsError('KMS_UNAVAILABLE', `AWS KMS rejected the session credentials of ${who}; they will be renewed on the next attempt.`, details);
    case isOutage(failure):
      return kmsError('KMS_UNAVAILABLE', `AWS KMS could not be reached for ${permission} on ${site.keyArn}; try again later.`, details);
    default:
      return kmsError('KMS_REQUEST_REJECTED', `AWS KMS refused ${permission} on ${site.keyArn}: ${failure.name}.`, details);
  }
}

/** Maps an `sts:AssumeRoleWithWebIdentity` failure; trust problems name what the policy must hold. */
export function mapStsFailure(error: unknown, roleArn: string, expected: TrustExpectations): ApplicationError {
  const failure = describeAwsFailure(error);
  const details = {
    roleArn,
    expectedIssuer: expected.issuer,
    expectedProvider: expected.provider,
    expectedAudience: expected.audience,
    expectedSubject: expected.subject,
    awsError: failure.name,
    awsMessage: failure.message,
  };
  if (THROTTLING.has(failure.name)) return kmsError('KMS_THROTTLED', 'AWS STS throttled AssumeRoleWithWebIdentity; try again later.', details);
  if (failure.name === 'IDPCommunicationError' || failure.name === 'IDPCommunicationErrorException') {
    return kmsError('KMS_UNAVAILABLE', `AWS STS could not fetch the signing keys of our issuer ${expected.issuer}; try again later.`, details);
  }
  if (isOutage(failure)) return kmsError('KMS_UNAVAILABLE', 'AWS STS could not be reached; try again later.', details);
  return kmsError(
    'KMS_ROLE_NOT_ASSUMABLE',
    `Role ${roleArn} cannot be assumed with our web identity (${failure.name}: ${failure.message}). ` +
      `The account needs an IAM OIDC provider for ${expected.provider} with audience ${expected.audience}, and the role's trust policy must allow ` +
      `sts:AssumeRoleWithWebIdentity for ${expected.provider}:aud = ${expected.audience} and ${expected.provider}:sub = ${expected.subject}.`,
    details,
  );
}

function isOutage(failure: AwsFailure): boolean {
  return OUTAGE.has(failure.name) || NETWORK_CODES.has(failure.name) || (failure.httpStatus !== undefined && failure.httpStatus >= 500);
}
