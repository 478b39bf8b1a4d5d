import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { kmsError } from '../errors';
import { canonicalContextBytes, DATA_KEY_BYTES, type EncryptionContext, type GeneratedDataKey, type KeyEncryptionProvider, type WrappedDataKey } from '../port';
import type { PlatformMasterKeyring } from './master-keyring';

/** First byte of every local platform ciphertext; bump it if the layout ever changes. */
const FORMAT_V1 = 0x01;
const HEADER_BYTES = 5; // format (1) + key version (uint32 BE)
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export function platformKekRef(version: number): string {
  return `platform:v${version}`;
}

/**
 * The platform key without any cloud: AES-256-GCM under the newest master key version.
 * Layout: `0x01 | version u32 BE | nonce(12) | ciphertext | tag(16)`. The header and the
 * canonical context are the additional data, so neither the version nor the org/data key
 * binding can be altered without the tag failing.
 */
export class LocalPlatformKeyProvider implements KeyEncryptionProvider {
  constructor(private readonly keyring: PlatformMasterKeyring) {}

  get kekRef(): string {
    return platformKekRef(this.keyring.current().version);
  }

  async generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey> {
    const plaintext = randomBytes(DATA_KEY_BYTES);
    const { wrapped, kekRef } = await this.wrap(plaintext, context);
    return { plaintext, wrapped, kekRef };
  }

  async wrap(plaintext: Buffer, context: EncryptionContext): Promise<WrappedDataKey> {
    const { version, key } = await this.keyring.currentFresh();
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt8(FORMAT_V1, 0);
    header.writeUInt32BE(version, 1);
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(Buffer.concat([header, canonicalContextBytes(context)]));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { wrapped: Buffer.concat([header, nonce, body, cipher.getAuthTag()]), kekRef: platformKekRef(version) };
  }

  async unwrap(wrapped: Buffer, context: EncryptionContext): Promise<Buffer> {
    if (wrapped.length < HEADER_BYTES + NONCE_BYTES + TAG_BYTES || wrapped.readUInt8(0) !== FORMAT_V1) throw invalid('unknown ciphertext format');
    const version = wrapped.readUInt32BE(1);
    const master = await this.keyring.find(version);
    if (!master) throw invalid(`platform key version ${version} is not in the keyring`);
    const header = wrapped.subarray(0, HEADER_BYTES);
    const nonce = wrapped.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
    const tag = wrapped.subarray(wrapped.length - TAG_BYTES);
    const body = wrapped.subarray(HEADER_BYTES + NONCE_BYTES, wrapped.length - TAG_BYTES);
    // GCM's update() hands out the bytes before final() has checked the tag. With only the
    // context wrong, those bytes are the real data key: zero them when the tag fails, and never
    // leave an extra copy behind on success.
    let opened: Buffer | undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', master.key, nonce);
      decipher.setAAD(Buffer.concat([header, canonicalContextBytes(context)]));
      decipher.setAuthTag(tag);
      opened = decipher.update(body);
      const tail = decipher.final();
      if (tail.length === 0) return opened;
      const plaintext = Buffer.concat([opened, tail]);
      opened.fill(0);
      tail.fill(0);
      return plaintext;
    } catch {
      opened?.fill(0);
      throw invalid('authentication failed: the ciphertext was altered or the encryption context differs');
    }
  }
}

function invalid(reason: string) {
  return kmsError('KMS_INVALID_CIPHERTEXT', `The wrapped data key cannot be unwrapped by the platform key: ${reason}.`, { provider: 'platform' });
}
