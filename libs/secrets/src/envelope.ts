import { createCipheriv, createDecipheriv } from 'node:crypto';
import { secretsError } from './errors';
import { DATA_KEY_ID_PATTERN } from './scope';

/**
 * The secret ciphertext envelope, version 1, as text:
 *
 *     v1.<dataKeyId>.<nonce>.<sealed>
 *
 * `nonce` is 12 random bytes and `sealed` is the AES-256-GCM ciphertext followed by its 16-byte
 * tag, both base64url without padding. The scope is not in the envelope: it is recorded on the
 * data key's `DataKeyIssued` event and (one data key per scope) recovered from there, then bound
 * through the additional data, which a ciphertext can therefore not escape.
 */
export const ENVELOPE_VERSION = 'v1';
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
const NONCE_CHARS = 16; // base64url of 12 bytes, no padding
const ALGORITHM = 'aes-256-gcm';
const VERSION_SHAPE = /^v[0-9]{1,4}$/;

export interface ParsedEnvelope {
  readonly dataKeyId: string;
  readonly nonce: Buffer;
  /** Ciphertext followed by the tag. */
  readonly sealed: Buffer;
}

export function formatEnvelope(dataKeyId: string, nonce: Buffer, sealed: Buffer): string {
  return `${ENVELOPE_VERSION}.${dataKeyId}.${nonce.toString('base64url')}.${sealed.toString('base64url')}`;
}

/**
 * Decodes base64url strictly enough for a length check: Node's decoder skips characters outside
 * the alphabet, so a part with any stray character decodes to fewer bytes than its length says.
 */
function decodePart(text: string): Buffer | undefined {
  if (text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.length === Math.floor((text.length * 3) / 4) ? bytes : undefined;
}

/**
 * Parses the envelope without any key: `CIPHERTEXT_MALFORMED` for anything that is not the
 * shape above, `CIPHERTEXT_UNSUPPORTED_VERSION` for a well-shaped envelope of another version.
 * `index` (the position in the request) goes into the error details.
 */
export function parseEnvelope(text: string, index = 0): ParsedEnvelope {
  const parts = text.split('.');
  if (parts.length !== 4 || !VERSION_SHAPE.test(parts[0])) throw malformed(index, 'expected v<N>.<dataKeyId>.<nonce>.<ciphertext>');
  if (parts[0] !== ENVELOPE_VERSION) {
    throw secretsError('CIPHERTEXT_UNSUPPORTED_VERSION', `Ciphertext version ${parts[0]} is not supported`, { index, version: parts[0], supported: [ENVELOPE_VERSION] });
  }
  const [, dataKeyId, nonceText, sealedText] = parts;
  if (!DATA_KEY_ID_PATTERN.test(dataKeyId)) throw malformed(index, 'invalid data key id');
  const nonce = nonceText.length === NONCE_CHARS ? decodePart(nonceText) : undefined;
  if (!nonce) throw malformed(index, 'invalid nonce');
  const sealed = decodePart(sealedText);
  if (!sealed || sealed.length < TAG_BYTES) throw malformed(index, 'invalid or truncated ciphertext');
  return { dataKeyId, nonce, sealed };
}

/**
 * The additional authenticated data of a v1 secret: version, org, data key id and scope,
 * NUL-separated (none of them may contain NUL). A ciphertext moved to another org, data key or
 * scope fails its tag instead of decrypting.
 */
export function envelopeAad(orgId: string, dataKeyId: string, scope: string): Buffer {
  return Buffer.from(`cmk-secret\0${ENVELOPE_VERSION}\0${orgId}\0${dataKeyId}\0${scope}`, 'utf8');
}

/** AES-256-GCM: ciphertext followed by the tag. `nonce` must never repeat under `key`. */
export function sealValue(key: Buffer, aad: Buffer, nonce: Buffer, plaintext: Buffer): Buffer {
  const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  return Buffer.concat([head, tail, cipher.getAuthTag()], head.length + tail.length + TAG_BYTES);
}

/** Opens a sealed value, or throws `CIPHERTEXT_INVALID`: never returns unauthenticated bytes. */
export function openValue(key: Buffer, aad: Buffer, nonce: Buffer, sealed: Buffer, index = 0): Buffer {
  const body = sealed.subarray(0, sealed.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const head = decipher.update(body);
    const tail = decipher.final();
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    throw secretsError('CIPHERTEXT_INVALID', 'The ciphertext does not authenticate: it was altered or belongs to another organisation or scope', { index });
  }
}

function malformed(index: number, reason: string) {
  return secretsError('CIPHERTEXT_MALFORMED', `The ciphertext is malformed: ${reason}`, { index });
}
