import { CompactSign, compactVerify, importJWK, type JWK } from 'jose';
import { canonicalJson, sha256Hex } from './chain-hash';

/** What a digest asserts: the org's chain through `toSeq` ends in `head`. */
export interface DigestPayload {
  readonly typ: 'cmk-audit-digest/1';
  readonly org: string;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly head: string;
  /** SHA-256 of the previous digest's compact JWS, `null` for the org's first digest. */
  readonly previousDigest: string | null;
  readonly signedAt: string;
  /** `schedule` or `run-end:<reencryptionId>`. */
  readonly trigger: string;
}

/** The key the chainer signs with: the service's current OIDC signing key. */
export interface DigestSigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: Parameters<CompactSign['sign']>[0];
}

export async function signDigest(payload: DigestPayload, key: DigestSigningKey): Promise<string> {
  return new CompactSign(new TextEncoder().encode(canonicalJson(payload)))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'cmk-audit-digest+jws' })
    .sign(key.privateKey);
}

export const digestHash = (jws: string): string => sha256Hex(jws);

export type DigestCheck = { readonly ok: true; readonly payload: DigestPayload } | { readonly ok: false; readonly reason: string };

/** Checks a digest's signature against trusted public keys (by `kid`) and parses its payload. */
export async function verifyDigest(jws: string, keys: readonly JWK[]): Promise<DigestCheck> {
  const header = protectedHeader(jws);
  if (!header) return { ok: false, reason: 'not a compact JWS' };
  const jwk = keys.find((k) => k.kid === header.kid);
  if (!jwk) return { ok: false, reason: `signed by unknown key ${String(header.kid)}` };
  try {
    const key = await importJWK(jwk, typeof header.alg === 'string' ? header.alg : 'RS256');
    const { payload } = await compactVerify(jws, key, { algorithms: [typeof jwk.alg === 'string' ? jwk.alg : 'RS256'] });
    return { ok: true, payload: JSON.parse(new TextDecoder().decode(payload)) as DigestPayload };
  } catch (error) {
    return { ok: false, reason: `signature does not verify with key ${String(header.kid)} (${error instanceof Error ? error.message : 'invalid'})` };
  }
}

function protectedHeader(jws: string): Record<string, unknown> | undefined {
  const [encoded] = jws.split('.');
  try {
    const parsed: unknown = JSON.parse(Buffer.from(encoded ?? '', 'base64url').toString('utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
