import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { createSecretFileOnce, modifiedAt, readSecretFile, replaceSecretFile } from '../secret-file';

export const SIGNING_KEY_FILE = 'oidc-signing-keys.json';
export const SIGNING_ALG = 'RS256';

type ImportedKey = Awaited<ReturnType<typeof importJWK>>;

interface StoredSigningKey {
  readonly kid: string;
  /** Epoch ms from which this key signs (a rotated-in key can be published before it signs). */
  readonly activeFrom: number;
  readonly createdAt: number;
  readonly privateJwk: JWK;
}

interface StoredFile {
  readonly format: 1;
  readonly keys: readonly StoredSigningKey[];
}

/** A public key as published in the JWKS: never `d`, `p`, `q`, `dp`, `dq`, `qi`. */
export interface PublicJwk {
  readonly kty: string;
  readonly kid: string;
  readonly alg: string;
  readonly use: 'sig';
  readonly n: string;
  readonly e: string;
}

export interface ActiveSigningKey {
  readonly kid: string;
  readonly alg: typeof SIGNING_ALG;
  readonly privateKey: ImportedKey;
}

export interface SigningKeyStoreOptions {
  /** `CMK_DATA_DIR`: holds `oidc-signing-keys.json` (0600), created on first start. */
  readonly dataDir: string;
  /**
   * Longest lifetime of a token we sign, in seconds: a replaced key stays in the JWKS this long
   * (plus {@link SigningKeyStoreOptions.graceSeconds}) after its successor starts signing. Default 300.
   */
  readonly tokenTtlSeconds?: number;
  /** Extra time a retired key stays published, for clock skew and JWKS caches. Default 300. */
  readonly graceSeconds?: number;
  /** How often the file is checked for another process's rotation, in ms. Default 1 000. */
  readonly reloadIntervalMs?: number;
  /** Clock in epoch ms. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * The issuer's RS256 signing keys, persisted so tokens stay verifiable across restarts and
 * shared by every replica on the same data dir. The newest active key signs; older keys stay
 * published until every token they signed has expired, then rotation prunes them.
 */
export class OidcSigningKeyStore {
  private keys: readonly StoredSigningKey[] = [];
  private loadedMtime: number | undefined;
  private checkedAt = 0;
  private readonly imported = new Map<string, Promise<ImportedKey>>();

  private constructor(
    private readonly path: string,
    private readonly retentionMs: number,
    private readonly reloadIntervalMs: number,
    private readonly now: () => number,
  ) {}

  static async open(options: SigningKeyStoreOptions): Promise<OidcSigningKeyStore> {
    const now = options.now ?? Date.now;
    const retentionMs = ((options.tokenTtlSeconds ?? 300) + (options.graceSeconds ?? 300)) * 1000;
    const store = new OidcSigningKeyStore(join(options.dataDir, SIGNING_KEY_FILE), retentionMs, options.reloadIntervalMs ?? 1_000, now);
    if ((await readSecretFile(store.path)) === undefined) {
      const first = await newKey(now(), now());
      await createSecretFileOnce(store.path, serialise([first]));
    }
    await store.reload();
    return store;
  }

  /** The key new tokens are signed with: the newest whose `activeFrom` has passed. */
  async signingKey(): Promise<ActiveSigningKey> {
    await this.maybeReload();
    const now = this.now();
    const active = [...this.keys].reverse().find((k) => k.activeFrom <= now) ?? this.keys[0];
    let privateKey = this.imported.get(active.kid);
    if (!privateKey) {
      privateKey = importJWK(active.privateJwk, SIGNING_ALG);
      this.imported.set(active.kid, privateKey);
    }
    return { kid: active.kid, alg: SIGNING_ALG, privateKey: await privateKey };
  }

  /** The JWKS: public parts of every key that signs, will sign, or signed a still-valid token. */
  async jwks(): Promise<{ keys: PublicJwk[] }> {
    await this.maybeReload();
    return { keys: this.published(this.keys, this.now()).map(toPublicJwk) };
  }

  /**
   * Adds a new key. It signs from `now + activateAfterMs` (default 0); publishing it earlier lets
   * relying parties that cache the JWKS (AWS does) learn it before the first token uses it.
   * Keys whose tokens have all expired are pruned. Returns the new kid.
   */
  async rotate(options: { activateAfterMs?: number } = {}): Promise<string> {
    await this.reload();
    const now = this.now();
    const next = await newKey(now, now + (options.activateAfterMs ?? 0));
    const keys = [...this.published(this.keys, now), next];
    await replaceSecretFile(this.path, serialise(keys));
    await this.reload();
    return next.kid;
  }

  /** Re-reads the file (another replica or the operator may have rotated). */
  async reload(): Promise<void> {
    const text = await readSecretFile(this.path);
    if (text === undefined) throw new Error(`${this.path} disappeared`);
    this.loadedMtime = await modifiedAt(this.path);
    this.keys = parse(text, this.path);
    this.checkedAt = this.now();
  }

  private async maybeReload(): Promise<void> {
    if (this.now() - this.checkedAt < this.reloadIntervalMs) return;
    this.checkedAt = this.now();
    if ((await modifiedAt(this.path)) !== this.loadedMtime) await this.reload();
  }

  /** A key retires when its successor activates; it stays published for the retention after. */
  private published(keys: readonly StoredSigningKey[], now: number): StoredSigningKey[] {
    return keys.filter((key, index) => {
      const successor = keys.slice(index + 1).find((k) => k.activeFrom <= now);
      return successor === undefined || successor.activeFrom + this.retentionMs > now;
    });
  }
}

async function newKey(createdAt: number, activeFrom: number): Promise<StoredSigningKey> {
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { modulusLength: 2048, extractable: true });
  const privateJwk = await exportJWK(privateKey);
  return { kid: randomUUID(), createdAt, activeFrom, privateJwk };
}

function toPublicJwk(key: StoredSigningKey): PublicJwk {
  const { kty, n, e } = key.privateJwk;
  if (kty !== 'RSA' || typeof n !== 'string' || typeof e !== 'string') throw new Error(`signing key ${key.kid} is not an RSA key`);
  return { kty, kid: key.kid, alg: SIGNING_ALG, use: 'sig', n, e };
}

function serialise(keys: readonly StoredSigningKey[]): string {
  const file: StoredFile = { format: 1, keys };
  return `${JSON.stringify(file, null, 2)}\n`;
}

function parse(text: string, path: string): StoredSigningKey[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not valid JSON`);
  }
  const keys = (parsed as Partial<StoredFile> | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error(`${path} holds no signing keys`);
  for (const key of keys) {
    if (typeof key?.kid !== 'string' || typeof key.activeFrom !== 'number' || typeof key.privateJwk?.d !== 'string') {
      throw new Error(`${path} holds a malformed signing key entry`);
    }
  }
  return [...keys].sort((a, b) => a.activeFrom - b.activeFrom || a.createdAt - b.createdAt);
}
