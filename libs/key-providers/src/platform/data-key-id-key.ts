import { createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createSecretFileOnce, readSecretFile } from '../secret-file';

export const DATA_KEY_ID_KEY_FILE = 'data-key-id-key.json';
const ID_KEY_BYTES = 32;

export interface DataKeyIdKeyOptions {
  /** `CMK_DATA_DIR`: where `data-key-id-key.json` lives (created 0600 on first start). */
  readonly dataDir: string;
  /** `CMK_DATA_KEY_ID_KEY`: base64 of 32 bytes. When set, the file is neither read nor written. */
  readonly fromEnv?: string;
}

/**
 * The server secret that data-key ids are derived under (HMAC-SHA-256), kept beside the platform
 * master keyring. An org knows its own scopes but not this key, so it cannot compute another
 * org's data-key ids for guessed scopes. It protects no data: losing it only means that scopes
 * get new data keys (their ids can no longer be recomputed), while every ciphertext keeps
 * decrypting (it names its data key). Every replica must hold the same key, like the keyring.
 */
export class DataKeyIdKey {
  private constructor(private readonly key: Buffer) {}

  static async open(options: DataKeyIdKeyOptions): Promise<DataKeyIdKey> {
    if (options.fromEnv !== undefined) return new DataKeyIdKey(decode(options.fromEnv, 'CMK_DATA_KEY_ID_KEY'));
    const path = join(options.dataDir, DATA_KEY_ID_KEY_FILE);
    let text = await readSecretFile(path);
    if (text === undefined) {
      // api and worker may start together on an empty dir: exactly one file wins.
      await createSecretFileOnce(path, `${JSON.stringify({ format: 1, key: randomBytes(ID_KEY_BYTES).toString('base64'), createdAt: new Date().toISOString() }, null, 2)}\n`);
      text = await readSecretFile(path);
    }
    let stored: unknown;
    try {
      stored = JSON.parse(text ?? '');
    } catch {
      throw new Error(`${path} is not valid JSON`);
    }
    return new DataKeyIdKey(decode((stored as { key?: unknown } | null)?.key, path));
  }

  /** A key for tests and tools that hold no data dir (never for an app: ids would change per start). */
  static fromBytes(key: Buffer): DataKeyIdKey {
    if (key.length !== ID_KEY_BYTES) throw new Error(`A data-key id key is exactly ${ID_KEY_BYTES} bytes`);
    return new DataKeyIdKey(Buffer.from(key));
  }

  /** HMAC-SHA-256 of `input` under the key, as lowercase hex (64 characters). */
  macHex(input: string): string {
    return createHmac('sha256', this.key).update(input, 'utf8').digest('hex');
  }

  toJSON(): string {
    return 'DataKeyIdKey(…)';
  }

  /** `console.log`, `util.inspect` and loggers show no bytes either. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toJSON();
  }
}

function decode(value: unknown, source: string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'base64') : Buffer.alloc(0);
  // Never echo the value: it is a secret.
  if (bytes.length !== ID_KEY_BYTES) throw new Error(`${source}: the data-key id key must be base64 of exactly ${ID_KEY_BYTES} bytes`);
  return bytes;
}
