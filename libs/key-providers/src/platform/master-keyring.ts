import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecretFileOnce, readSecretFile, replaceSecretFile } from '../secret-file';

export const MASTER_KEY_FILE = 'platform-master-keys.json';
const MASTER_KEY_BYTES = 32;

export interface MasterKeyVersion {
  readonly version: number;
  readonly key: Buffer;
}

interface StoredKeyring {
  readonly format: 1;
  readonly keys: readonly { readonly version: number; readonly key: string; readonly createdAt: string }[];
}

export interface MasterKeyringOptions {
  /** `CMK_DATA_DIR`: where `platform-master-keys.json` lives (created 0600 when absent). */
  readonly dataDir: string;
  /**
   * `CMK_PLATFORM_MASTER_KEY`: base64 of 32 bytes (version 1), or `1:<base64>,2:<base64>` for a
   * rotated keyring. When set, the file is neither read nor written. Default: the file.
   */
  readonly fromEnv?: string;
}

/**
 * The local platform key: versions of a 256-bit master key. The newest version wraps, every
 * version unwraps, so rotation never strands an old ciphertext. Key bytes stay inside this
 * object: `toString`/JSON never show them.
 */
export class PlatformMasterKeyring {
  /** When the file was last looked at for another process's rotation (epoch ms). */
  private checkedAt = Date.now();
  private mtimeMs = 0;

  private constructor(
    private versions: readonly MasterKeyVersion[],
    private readonly path: string | undefined,
  ) {}

  /** How often wrapping looks at the file for a rotation made elsewhere (the CLI, another replica). */
  static readonly RECHECK_MS = 1_000;

  /**
   * The version new wraps use, after at most one cheap `stat` per {@link RECHECK_MS}: a rotation
   * by the operator's CLI or another replica takes effect for new wraps within about a second,
   * without a restart.
   */
  async currentFresh(): Promise<MasterKeyVersion> {
    await this.refreshIfChanged();
    return this.current();
  }

  /** At most one `stat` per {@link RECHECK_MS}; reloads when the file changed (rotation or retirement). */
  private async refreshIfChanged(): Promise<void> {
    const now = Date.now();
    if (this.path && now - this.checkedAt >= PlatformMasterKeyring.RECHECK_MS) {
      this.checkedAt = now;
      const mtimeMs = await stat(this.path).then((s) => s.mtimeMs, () => this.mtimeMs);
      if (mtimeMs !== this.mtimeMs) {
        this.mtimeMs = mtimeMs;
        await this.reload();
      }
    }
  }

  static async open(options: MasterKeyringOptions): Promise<PlatformMasterKeyring> {
    if (options.fromEnv !== undefined) return new PlatformMasterKeyring(parseEnvKeyring(options.fromEnv), undefined);
    const path = join(options.dataDir, MASTER_KEY_FILE);
    let text = await readSecretFile(path);
    if (text === undefined) {
      await createSecretFileOnce(path, serialise([{ version: 1, key: randomBytes(MASTER_KEY_BYTES) }], new Date()));
      text = await readSecretFile(path);
    }
    return new PlatformMasterKeyring(parseStored(text ?? '', path), path);
  }

  /** The version new wraps use. */
  current(): MasterKeyVersion {
    return this.versions[this.versions.length - 1];
  }

  /**
   * The key of `version`. An unknown version is re-read from the file once, because another
   * process (the operator's rotation, another replica) may have added it since we loaded.
   */
  async find(version: number): Promise<MasterKeyVersion | undefined> {
    // A version retired elsewhere stops unwrapping here within about a second too.
    await this.refreshIfChanged();
    const known = this.versions.find((v) => v.version === version);
    if (known || !this.path) return known;
    await this.reload();
    return this.versions.find((v) => v.version === version);
  }

  /** Adds a new newest version and persists it; returns its number. File-backed keyrings only. */
  async rotate(now: Date = new Date()): Promise<number> {
    if (!this.path) throw new Error('The platform keyring comes from CMK_PLATFORM_MASTER_KEY; rotate it by adding a version there');
    await this.reload();
    const version = this.current().version + 1;
    const versions = [...this.versions, { version, key: randomBytes(MASTER_KEY_BYTES) }];
    await replaceSecretFile(this.path, serialise(versions, now));
    this.versions = versions;
    return version;
  }

  /**
   * Removes `version` from the file for good (the caller has checked that nothing depends on it:
   * see `platformVersionDependents`). The newest version cannot be retired. File-backed only.
   */
  async retire(version: number, now: Date = new Date()): Promise<void> {
    if (!this.path) throw new Error('The platform keyring comes from CMK_PLATFORM_MASTER_KEY; retire a version by removing it there');
    await this.reload();
    if (!this.versions.some((v) => v.version === version)) throw new Error(`Platform key version ${version} is not in the keyring`);
    if (this.current().version === version) throw new Error(`Platform key version ${version} is the newest: rotate first`);
    const versions = this.versions.filter((v) => v.version !== version);
    await replaceSecretFile(this.path, serialise(versions, now));
    this.versions.find((v) => v.version === version)?.key.fill(0);
    this.versions = versions;
  }

  /** Every version number in the keyring, oldest first. */
  versionNumbers(): number[] {
    return this.versions.map((v) => v.version);
  }

  /** Re-reads the file so versions added by another process become usable. */
  async reload(): Promise<void> {
    if (!this.path) return;
    const text = await readSecretFile(this.path);
    if (text !== undefined) this.versions = parseStored(text, this.path);
  }

  toJSON(): string {
    return `PlatformMasterKeyring(v1..v${this.current().version})`;
  }
}

function serialise(versions: readonly MasterKeyVersion[], now: Date): string {
  const stored: StoredKeyring = { format: 1, keys: versions.map((v) => ({ version: v.version, key: v.key.toString('base64'), createdAt: now.toISOString() })) };
  return `${JSON.stringify(stored, null, 2)}\n`;
}

function parseStored(text: string, path: string): MasterKeyVersion[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not valid JSON`);
  }
  const keys = (parsed as Partial<StoredKeyring> | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error(`${path} holds no platform master keys`);
  return checked(keys.map((entry: { version?: unknown; key?: unknown }) => toVersion(entry.version, entry.key, path)), path);
}

function parseEnvKeyring(raw: string): MasterKeyVersion[] {
  const entries = raw.split(',').map((part) => part.trim()).filter((part) => part.length > 0);
  if (entries.length === 1 && !entries[0].includes(':')) return [toVersion(1, entries[0], 'CMK_PLATFORM_MASTER_KEY')];
  return checked(
    entries.map((entry) => {
      const [version, key] = entry.split(':', 2);
      return toVersion(Number(version), key, 'CMK_PLATFORM_MASTER_KEY');
    }),
    'CMK_PLATFORM_MASTER_KEY',
  );
}

function toVersion(version: unknown, key: unknown, source: string): MasterKeyVersion {
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > 0xffffffff) {
    throw new Error(`${source}: key versions must be positive integers`);
  }
  const bytes = typeof key === 'string' ? Buffer.from(key, 'base64') : Buffer.alloc(0);
  // Never echo the value: it is the key.
  if (bytes.length !== MASTER_KEY_BYTES) throw new Error(`${source}: version ${version} must be base64 of exactly ${MASTER_KEY_BYTES} bytes`);
  return { version, key: bytes };
}

function checked(versions: MasterKeyVersion[], source: string): MasterKeyVersion[] {
  const sorted = [...versions].sort((a, b) => a.version - b.version);
  if (new Set(sorted.map((v) => v.version)).size !== sorted.length) throw new Error(`${source}: duplicate key versions`);
  return sorted;
}
