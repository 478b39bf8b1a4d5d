import { kmsError } from '../errors';
import type { EncryptionContext, GeneratedDataKey, KeyEncryptionProvider, WrappedDataKey } from '../port';
import type { KmsCalls } from './kms-calls';

/**
 * A customer's key in their AWS KMS, used through a role they trust us to assume for one
 * organisation. The provider refuses a context of another organisation before any AWS call, so a
 * bug upstream cannot use org A's key for org B's data keys.
 */
export class CustomerKmsKeyProvider implements KeyEncryptionProvider {
  constructor(
    readonly orgId: string,
    readonly roleArn: string,
    /** The resolved key ARN (never an alias). */
    readonly kekRef: string,
    private readonly kms: KmsCalls,
  ) {}

  async generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey> {
    this.check(context);
    const { plaintext, wrapped, keyArn } = await this.kms.generateDataKey(this.kekRef, context);
    return { plaintext, wrapped, kekRef: keyArn };
  }

  async wrap(plaintext: Buffer, context: EncryptionContext): Promise<WrappedDataKey> {
    this.check(context);
    const { wrapped, keyArn } = await this.kms.encrypt(this.kekRef, plaintext, context);
    return { wrapped, kekRef: keyArn };
  }

  async unwrap(wrapped: Buffer, context: EncryptionContext): Promise<Buffer> {
    this.check(context);
    return (await this.kms.decrypt(this.kekRef, wrapped, context)).plaintext;
  }

  private check(context: EncryptionContext): void {
    if (context.org !== this.orgId) {
      throw kmsError('KMS_CONTEXT_MISMATCH', `The key ${this.kekRef} belongs to another organisation than ${context.org}.`, { keyArn: this.kekRef, org: context.org });
    }
  }
}
