/**
 * The binding every wrapped data key carries. KMS receives it as the EncryptionContext and the
 * local platform key uses it as AES-GCM additional data, so a wrapped key copied to another
 * organisation or another data key id cannot be unwrapped.
 */
export interface EncryptionContext {
  /** The organisation login (`acme`). */
  readonly org: string;
  /** The data key id, or `verification` for the key verifier's round trip. */
  readonly dataKey: string;
  /**
   * Set only on calls that protect no data (`health-probe`), so they are told apart in the
   * customer's CloudTrail and in the emulator's counts. Absent on every data key.
   */
  readonly purpose?: string;
}

/** A fresh data key: the plaintext (caller zeroes it when done) and its wrapped form. */
export interface GeneratedDataKey {
  readonly plaintext: Buffer;
  readonly wrapped: Buffer;
  /** The exact key-encryption key reference that wrapped it (see {@link KeyEncryptionProvider.kekRef}). */
  readonly kekRef: string;
}

export interface WrappedDataKey {
  readonly wrapped: Buffer;
  readonly kekRef: string;
}

/**
 * A key-encryption key (KEK) that wraps and unwraps data keys, always under an
 * {@link EncryptionContext}. Implementations: the local platform key (AES-256-GCM keyring), the
 * platform key in the operator's AWS KMS, and a customer's key in their AWS KMS (through STS web
 * identity). Failures are `ApplicationError`s with the codes in `KMS_ERROR_CODES`; no error,
 * log line or detail ever contains key bytes, credentials or tokens.
 */
export interface KeyEncryptionProvider {
  /**
   * What new wraps are made with: `platform:v<N>` for the local platform key, the resolved key
   * ARN for KMS (never an alias: aliases can be repointed). Stored as `kekRef` on data key events.
   */
  readonly kekRef: string;
  /** A new 32-byte data key, wrapped under this KEK. */
  generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey>;
  wrap(plaintext: Buffer, context: EncryptionContext): Promise<WrappedDataKey>;
  /** Throws `KMS_INVALID_CIPHERTEXT` when the blob was tampered with or the context differs. */
  unwrap(wrapped: Buffer, context: EncryptionContext): Promise<Buffer>;
}

/** Data keys are AES-256 keys. */
export const DATA_KEY_BYTES = 32;

/**
 * The context in a fixed key order (`dataKey`, `org`): KMS canonicalises its
 * EncryptionContext itself, but the local provider needs the same bytes on wrap and unwrap.
 */
export function canonicalContext(context: EncryptionContext): Record<string, string> {
  return context.purpose === undefined ? { dataKey: context.dataKey, org: context.org } : { dataKey: context.dataKey, org: context.org, purpose: context.purpose };
}

export function canonicalContextBytes(context: EncryptionContext): Buffer {
  return Buffer.from(JSON.stringify(canonicalContext(context)), 'utf8');
}
