import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JWK } from 'jose';

export const DIGEST_KEY_FILE = 'audit-digest-keys.json';

/**
 * Public keys ever used to sign an audit digest. `keys rotate-oidc` prunes retired signing keys
 * from the OIDC JWKS (AWS STS must stop trusting them), but a digest must stay verifiable for as
 * long as the history exists, so the public half of every key that signed one is kept here and
 * published at `/audit/.well-known/jwks`. Public keys only; nothing secret is in this file.
 */
export class DigestKeyArchive {
  constructor(private readonly dataDir: string) {}

  private get path(): string {
    return join(this.dataDir, DIGEST_KEY_FILE);
  }

  async all(): Promise<JWK[]> {
    try {
      const parsed = JSON.parse(await readFile(this.path, 'utf8')) as { keys?: unknown };
      return Array.isArray(parsed.keys) ? (parsed.keys as JWK[]) : [];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** Adds `jwk` unless its kid is already kept (write to a temp file, then rename: never a torn file). */
  async remember(jwk: JWK): Promise<void> {
    const keys = await this.all();
    if (keys.some((k) => k.kid === jwk.kid)) return;
    const tmp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ keys: [...keys, jwk] }, null, 2)}\n`, { mode: 0o644 });
    await rename(tmp, this.path);
  }
}
