import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import { KmsError } from './errors';

/**
 * Ciphertext blob layout (ours, not AWS's; callers must treat it as opaque):
 *
 *   version(1) | keyId(36, ASCII UUID) | iv(12) | tag(16) | AES-256-GCM ciphertext
 *
 * The key id travels in the blob so Decrypt works without a KeyId, as with real KMS. The
 * header and the canonical encryption context together form the AAD, so a blob cannot be
 * re-pointed at another key nor opened under another context.
 */
const VERSION = 0x01;
const KEY_ID_LENGTH = 36;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const HEADER_LENGTH = 1 + KEY_ID_LENGTH;
const MIN_LENGTH = HEADER_LENGTH + IV_LENGTH + TAG_LENGTH;

export type EncryptionContext = Readonly<Record<string, string>>;

const EMPTY = Buffer.alloc(0);

/** Canonical bytes of an encryption context: pairs sorted by key, so key order never matters. */
export function canonicalContext(context: EncryptionContext | undefined): Buffer {
  if (!context) return EMPTY;
  const keys = Object.keys(context);
  if (keys.length === 0) return EMPTY;
  keys.sort();
  return Buffer.from(JSON.stringify(keys.map((k) => [k, context[k]])), 'utf8');
}

export function seal(keyId: string, material: KeyObject, plaintext: Buffer, context: EncryptionContext | undefined): Buffer {
  const header = Buffer.allocUnsafe(HEADER_LENGTH);
  header[0] = VERSION;
  header.write(keyId, 1, KEY_ID_LENGTH, 'latin1');
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', material, iv);
  cipher.setAAD(Buffer.concat([header, canonicalContext(context)]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, iv, cipher.getAuthTag(), body]);
}

/** The key id a blob was sealed under, or undefined when the blob is not one of ours. */
export function embeddedKeyId(blob: Buffer): string | undefined {
  if (blob.length < MIN_LENGTH || blob[0] !== VERSION) return undefined;
  return blob.toString('latin1', 1, HEADER_LENGTH);
}

export function open(material: KeyObject, blob: Buffer, context: EncryptionContext | undefined): Buffer {
  if (embeddedKeyId(blob) === undefined) throw invalidCiphertext();
  const header = blob.subarray(0, HEADER_LENGTH);
  const iv = blob.subarray(HEADER_LENGTH, HEADER_LENGTH + IV_LENGTH);
  const tag = blob.subarray(HEADER_LENGTH + IV_LENGTH, MIN_LENGTH);
  const decipher = createDecipheriv('aes-256-gcm', material, iv);
  decipher.setAAD(Buffer.concat([header, canonicalContext(context)]));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(blob.subarray(MIN_LENGTH)), decipher.final()]);
  } catch {
    // GCM authentication failure: wrong context or tampered blob; KMS does not say which.
    throw invalidCiphertext();
  }
}

function invalidCiphertext(): KmsError {
  return new KmsError('InvalidCiphertextException', 'The ciphertext is invalid or the encryption context does not match.');
}
