import type { KeyDto, ReencryptionDto } from '@cmk/api-client';
import { ApiFailure } from './api';

/** Sentences for refusals the console can meet (the server's message is the fallback). */
const SENTENCES: Record<string, string> = {
  KEY_NAME_TAKEN: 'Another key already has this name. Choose a different name.',
  INVALID_KEY_NAME: 'Key names are 1 to 256 visible characters.',
  INVALID_ROLE_ARN: 'This is not a role ARN. It looks like arn:aws:iam::111122223333:role/my-role.',
  INVALID_KEY_ARN: 'This is not a KMS key ARN or alias ARN. It looks like arn:aws:kms:us-east-1:111122223333:key/… or …:alias/my-key.',
  KMS_ROLE_NOT_ASSUMABLE: 'AWS would not let this service assume the role. Its trust policy (or the OIDC provider) does not match what this service presents.',
  KMS_ACCESS_DENIED: 'The role was assumed, but the key policy does not let it use the key. Grant kms:Encrypt, kms:Decrypt and kms:GenerateDataKey to the role.',
  KMS_KEY_DISABLED: 'The KMS key is disabled. Enable it in AWS KMS.',
  KMS_KEY_PENDING_DELETION: 'The KMS key is scheduled for deletion. Cancel the deletion in AWS KMS.',
  KMS_KEY_NOT_FOUND: 'No KMS key or alias has this ARN. Check the ARN, the region and the account.',
  KMS_THROTTLED: 'AWS throttled the request. Try again in a moment.',
  KMS_UNAVAILABLE: 'AWS could not be reached. Try again in a moment.',
  REENCRYPTION_RUNNING: 'A re-encryption is running. Wait for it to finish.',
  REENCRYPTION_RETRY_PENDING: 'The last re-encryption failed. Retry it, or disable all keys, before disabling another key.',
  REENCRYPTION_NOT_FAILED: 'The last re-encryption did not fail, so there is nothing to retry.',
  KEY_IS_DEFAULT: 'The default key cannot be disabled. Make another key the default first.',
  KEY_NOT_ACTIVE: 'This key is not active.',
  KEY_UNDER_REENCRYPTION: 'This key is being re-encrypted.',
  DESTINATION_INVALID: 'Choose another active key, or the platform key, to receive the data keys.',
  NO_KEYS: 'There are no keys to disable.',
  CONCURRENT_CHANGE: 'Someone else changed the keys at the same moment. The list was refreshed; try again.',
  EDITION_REQUIRED: 'Customer managed keys need the Enterprise or Business Critical edition.',
  ROLE_REQUIRED: 'Only organization admins can manage keys.',
  UNAUTHENTICATED: 'This token is not valid (revoked, mistyped or expired). Sign in with a new one.',
  ORG_NOT_FOUND: 'This token does not belong to an organization this server knows.',
  NETWORK: 'The server could not be reached. Check your connection and try again.',
};

export function describeFailure(error: unknown): string {
  if (error instanceof ApiFailure) return SENTENCES[error.code] ?? error.message;
  return 'Something went wrong. Try again.';
}

/** Words for a failure code in the banner's "failures by code". */
export function describeCode(code: string): string {
  return SENTENCES[code] ?? code.toLowerCase().replace(/_/g, ' ');
}

/** Why a row action is not available, derived from the same state the API used to refuse it. */
export function setDefaultReason(key: KeyDto, run: ReencryptionDto | null): string {
  if (key.isDefault) return 'Already the default key.';
  if (key.state === 'disabled') return 'Disabled keys cannot become the default.';
  if (key.state === 'disabling') return 'Its data keys are being moved to another key.';
  if (run?.state === 'running') return 'Wait for the running re-encryption to finish.';
  return 'Not available right now.';
}

export function disableReason(key: KeyDto, run: ReencryptionDto | null): string {
  if (key.state === 'disabled') return 'Already disabled.';
  if (key.state === 'disabling') return 'Already being disabled.';
  if (key.isDefault) return 'The default key cannot be disabled. Make another key the default first.';
  if (run?.state === 'running') return 'Wait for the running re-encryption to finish.';
  if (run?.state === 'failed') return 'Retry the failed re-encryption, or disable all keys, first.';
  return 'Not available right now.';
}

export function formatEta(seconds: number | null): string {
  if (seconds === null) return 'estimating…';
  if (seconds < 60) return `about ${seconds} s left`;
  return `about ${Math.ceil(seconds / 60)} min left`;
}
