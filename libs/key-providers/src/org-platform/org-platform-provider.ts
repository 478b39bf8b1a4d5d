import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { kmsError } from '../errors';
import { canonicalContextBytes, DATA_KEY_BYTES, type EncryptionContext, type GeneratedDataKey, type KeyEncryptionProvider, type WrappedDataKey } from '../port';
import type { OrgPlatformKeys } from './org-platform-keys';

/** `OPK` + format 1: cannot start a local master ciphertext (0x01) or an AWS KMS blob (0x01 0x02 …). */
const MAGIC = Buffer.from([0x4f, 0x50, 0x4b, 0x01]);
const HEADER_BYTES = MAGIC.length + 4; // magic + generation (uint32 BE)
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** `kekRef` of a data key wrapped by generation N of its org's platform key. */
export function orgPlatformKekRef(generation: number): string {
  return `platform-org:g${generation}`;
}

/** The generation a `kekRef` names, or undefined for any other kind of wrap (legacy master, CMK). */
export function generationOfKekRef(kekRef: string): number | undefined {
  const match = /^platform-org:g([1-9][0-9]{0,9})$/.exec(kekRef);
  return match ? Number(match[1]) : undefined;
}

/** Whether a wrapped data key is in the org platform key format (else: wrapped directly by a master key). */
export function isOrgPlatformWrapped(wrapped: Buffer): boolean {
  return wrapped.length >= HEADER_BYTES && wrapped.subarray(0, MAGIC.length).equals(MAGIC);
}

/**
 * "The platform key" as one org sees it: data keys are wrapped (AES-256-GCM) by the org's live
 * platform key generation. Layout: `OPK\x01 | generation u32 BE | nonce(12) | ciphertext | tag(16)`;
 * the header and the canonical context are the additional data. Data keys written before org
 * keys existed (wrapped directly by a master key version) still unwrap through the master key
 * until the migration run moves them.
 */
export class OrgPlatformKeyProvider implements KeyEncryptionProvider {
  constructor(
    private readonly orgId: string,
    private readonly keys: OrgPlatformKeys,
  ) {}

  /** The exact generation is only known per wrap; see the `kekRef` each result carries. */
  get kekRef(): string {
    return 'platform-org';
  }

  async generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey> {
    const plaintext = randomBytes(DATA_KEY_BYTES);
    try {
      const { wrapped, kekRef } = await this.wrap(plaintext, context);
      return { plaintext, wrapped, kekRef };
    } catch (error) {
      plaintext.fill(0);
      throw error;
    }
  }

  async wrap(plaintext: Buffer, context: EncryptionContext): Promise<WrappedDataKey> {
    this.checkOrg(context);
    const { generation, key } = await this.keys.forWrapping(this.orgId);
    try {
      const header = Buffer.alloc(HEADER_BYTES);
      MAGIC.copy(header, 0);
      header.writeUInt32BE(generation, MAGIC.length);
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(Buffer.concat([header, canonicalContextBytes(context)]));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return { wrapped: Buffer.concat([header, nonce, body, cipher.getAuthTag()]), kekRef: orgPlatformKekRef(generation) };
    } finally {
      key.fill(0);
    }
  }

  async unwrap(wrapped: Buffer, context: EncryptionContext): Promise<Buffer> {
    this.checkOrg(context);
    if (!isOrgPlatformWrapped(wrapped)) return this.keys.master.unwrap(wrapped, context);
    if (wrapped.length < HEADER_BYTES + NONCE_BYTES + TAG_BYTES) throw invalid('truncated ciphertext');
    const generation = wrapped.readUInt32BE(MAGIC.length);
    const key = await this.keys.forUnwrap(this.orgId, generation);
    const header = wrapped.subarray(0, HEADER_BYTES);
    const nonce = wrapped.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
    const tag = wrapped.subarray(wrapped.length - TAG_BYTES);
    const body = wrapped.subarray(HEADER_BYTES + NONCE_BYTES, wrapped.length - TAG_BYTES);
    // As in the local master provider: GCM hands out bytes before the tag is checked; zero them on failure.
    let opened: Buffer | undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, nonce);
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
    } finally {
      key.fill(0);
    }
  }

  private checkOrg(context: EncryptionContext): void {
    if (context.org !== this.orgId) {
      throw kmsError('KMS_CONTEXT_MISMATCH', 'The platform key of one organization cannot act for another', { provider: 'platform' });
    }
  }
}

function invalid(reason: string) {
  return kmsError('KMS_INVALID_CIPHERTEXT', `The wrapped data key cannot be unwrapped by the org platform key: ${reason}.`, { provider: 'platform' });
}
