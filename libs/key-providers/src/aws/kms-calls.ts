import { DecryptCommand, EncryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { ApplicationError } from '@cmk/application';
import { kmsError } from '../errors';
import { canonicalContext, DATA_KEY_BYTES, type EncryptionContext } from '../port';
import { isCredentialFailure, mapKmsFailure, type KmsCallSite, type KmsOperation } from './aws-failures';

export interface ThrottleRetryOptions {
  /** `CMK_KMS_THROTTLE_RETRIES`: extra rounds after the SDK gave up on throttling. Default 3. */
  readonly retries?: number;
  /** First backoff in ms, doubled each round with full jitter. Default 200. */
  readonly baseDelayMs?: number;
  /** Longest single backoff in ms. Default 5 000. */
  readonly maxDelayMs?: number;
}

/** How a KMS caller gets its client, and what to do when KMS rejects the session. */
export interface KmsClientSource {
  client(): KMSClient;
  /** Called when KMS says the credentials are expired or unknown; the next `client()` must renew them. */
  renewCredentials?(): void;
}

export interface KmsResult {
  /** The key ARN KMS used (aliases resolved). */
  readonly keyArn: string;
}

/**
 * The three KMS operations we are allowed (a customer's key policy grants only Encrypt,
 * Decrypt and GenerateDataKey), each with the encryption context, our throttling backoff on top
 * of the SDK's retries, one renewal of rejected session credentials, and error mapping.
 */
export class KmsCalls {
  constructor(
    private readonly source: KmsClientSource,
    private readonly roleArn: string | undefined,
    private readonly retry: ThrottleRetryOptions = {},
  ) {}

  async generateDataKey(keyArn: string, context: EncryptionContext): Promise<KmsResult & { plaintext: Buffer; wrapped: Buffer }> {
    const out = await this.call('GenerateDataKey', keyArn, (client) =>
      client.send(new GenerateDataKeyCommand({ KeyId: keyArn, NumberOfBytes: DATA_KEY_BYTES, EncryptionContext: canonicalContext(context) })),
    );
    if (!out.Plaintext || !out.CiphertextBlob || !out.KeyId) {
      out.Plaintext?.fill(0);
      throw incomplete('GenerateDataKey', keyArn);
    }
    return { plaintext: takePlaintext(out.Plaintext), wrapped: Buffer.from(out.CiphertextBlob), keyArn: out.KeyId };
  }

  async encrypt(keyArn: string, plaintext: Buffer, context: EncryptionContext): Promise<KmsResult & { wrapped: Buffer }> {
    const out = await this.call('Encrypt', keyArn, (client) =>
      client.send(new EncryptCommand({ KeyId: keyArn, Plaintext: plaintext, EncryptionContext: canonicalContext(context) })),
    );
    if (!out.CiphertextBlob || !out.KeyId) throw incomplete('Encrypt', keyArn);
    return { wrapped: Buffer.from(out.CiphertextBlob), keyArn: out.KeyId };
  }

  /** `keyArn` is sent as KeyId so KMS refuses a blob made under another key. */
  async decrypt(keyArn: string, wrapped: Buffer, context: EncryptionContext): Promise<KmsResult & { plaintext: Buffer }> {
    const out = await this.call('Decrypt', keyArn, (client) =>
      client.send(new DecryptCommand({ KeyId: keyArn, CiphertextBlob: wrapped, EncryptionContext: canonicalContext(context) })),
    );
    if (!out.Plaintext || !out.KeyId) {
      out.Plaintext?.fill(0);
      throw incomplete('Decrypt', keyArn);
    }
    return { plaintext: takePlaintext(out.Plaintext), keyArn: out.KeyId };
  }

  private async call<T>(operation: KmsOperation, keyArn: string, send: (client: KMSClient) => Promise<T>): Promise<T> {
    const site: KmsCallSite = { operation, keyArn, ...(this.roleArn ? { roleArn: this.roleArn } : {}) };
    const retries = this.retry.retries ?? 3;
    let renewed = false;
    for (let round = 0; ; round += 1) {
      try {
        return await send(this.source.client());
      } catch (error) {
        if (error instanceof ApplicationError) throw error; // from the credential provider (STS), already mapped
        if (isCredentialFailure(error) && !renewed && this.source.renewCredentials) {
          renewed = true;
          this.source.renewCredentials();
          round -= 1;
          continue;
        }
        const mapped = mapKmsFailure(error, site);
        if (mapped.code !== 'KMS_THROTTLED' || round >= retries) throw mapped;
        await delay(this.backoff(round));
      }
    }
  }

  private backoff(round: number): number {
    const cap = Math.min(this.retry.maxDelayMs ?? 5_000, (this.retry.baseDelayMs ?? 200) * 2 ** round);
    return Math.floor(Math.random() * cap) + 1;
  }
}

/**
 * Copies the SDK's plaintext into a Buffer the caller owns (and zeroes when done), then zeroes
 * the SDK's array: otherwise a second copy of the data key would stay on the heap until GC.
 */
function takePlaintext(bytes: Uint8Array): Buffer {
  const plaintext = Buffer.from(bytes);
  bytes.fill(0);
  return plaintext;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function incomplete(operation: KmsOperation, keyArn: string) {
  return kmsError('KMS_UNAVAILABLE', `AWS KMS answered ${operation} on ${keyArn} without the expected fields.`, { operation, keyArn });
}
