import type { KmsCalls } from '../aws/kms-calls';
import type { EncryptionContext, GeneratedDataKey, KeyEncryptionProvider, WrappedDataKey } from '../port';

/**
 * The platform key in the operator's own AWS KMS (`CMK_PLATFORM_KMS_KEY_ARN`), used with the
 * ambient AWS credentials of the process (instance role, IRSA, env). kekRef is the key ARN.
 */
export class KmsPlatformKeyProvider implements KeyEncryptionProvider {
  constructor(
    readonly kekRef: string,
    private readonly kms: KmsCalls,
  ) {}

  async generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey> {
    const { plaintext, wrapped, keyArn } = await this.kms.generateDataKey(this.kekRef, context);
    return { plaintext, wrapped, kekRef: keyArn };
  }

  async wrap(plaintext: Buffer, context: EncryptionContext): Promise<WrappedDataKey> {
    const { wrapped, keyArn } = await this.kms.encrypt(this.kekRef, plaintext, context);
    return { wrapped, kekRef: keyArn };
  }

  async unwrap(wrapped: Buffer, context: EncryptionContext): Promise<Buffer> {
    return (await this.kms.decrypt(this.kekRef, wrapped, context)).plaintext;
  }
}
