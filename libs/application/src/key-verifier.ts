/**
 * Checks, before a key is added, that the service can use it: assume the role through STS web
 * identity, then a GenerateDataKey + Decrypt round trip. Refusals are `ApplicationError`s with
 * stable codes (`KMS_ROLE_NOT_ASSUMABLE`, `KMS_ACCESS_DENIED`, `KMS_KEY_DISABLED`, ...).
 */
export interface KeyVerifier {
  verify(request: KeyVerificationRequest): Promise<VerifiedKey>;
}

export interface KeyVerificationRequest {
  readonly orgId: string;
  readonly roleArn: string;
  /** A key ARN or an alias ARN. */
  readonly keyArn: string;
}

export interface VerifiedKey {
  /** The key ARN KMS resolved the input to (aliases can be repointed, so this is what we keep). */
  readonly resolvedKeyArn: string;
}

export const KEY_VERIFIER = Symbol('KEY_VERIFIER');
