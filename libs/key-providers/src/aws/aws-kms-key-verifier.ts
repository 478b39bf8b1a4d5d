import { timingSafeEqual } from 'node:crypto';
import type { KeyVerificationRequest, KeyVerifier, VerifiedKey } from '@cmk/application';
import { kmsError } from '../errors';
import type { EncryptionContext } from '../port';
import { checkKeyArn, checkRoleArn, type CustomerKmsKeys } from './customer-kms-keys';

/**
 * Proves, before a key is accepted, that we can use it the way re-encryption will: assume the
 * role with the org's token, GenerateDataKey under the given key (or alias), then Decrypt the
 * result naming the resolved key. Each misconfiguration surfaces as its own code.
 */
export class AwsKmsKeyVerifier implements KeyVerifier {
  constructor(private readonly customerKeys: CustomerKmsKeys) {}

  async verify(request: KeyVerificationRequest): Promise<VerifiedKey> {
    checkRoleArn(request.roleArn);
    const key = checkKeyArn(request.keyArn);
    const context: EncryptionContext = { org: request.orgId, dataKey: 'verification' };
    const kms = this.customerKeys.calls(request.orgId, request.roleArn, key.region);
    const generated = await kms.generateDataKey(request.keyArn, context);
    try {
      const decrypted = await kms.decrypt(generated.keyArn, generated.wrapped, context);
      try {
        if (decrypted.plaintext.length !== generated.plaintext.length || !timingSafeEqual(decrypted.plaintext, generated.plaintext)) {
          throw kmsError('KMS_INVALID_CIPHERTEXT', `KMS key ${generated.keyArn} did not return the data key it generated.`, { keyArn: generated.keyArn });
        }
      } finally {
        decrypted.plaintext.fill(0);
      }
    } finally {
      generated.plaintext.fill(0);
    }
    return { resolvedKeyArn: generated.keyArn };
  }
}
