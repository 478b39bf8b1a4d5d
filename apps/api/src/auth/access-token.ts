import { hash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * Access tokens look like `cmk.<org>.<tokenId>.<secret>`: the org and id let the api find the
 * stored SHA-256 without a global index; the 256-bit secret is what authenticates. Tokens are
 * shown once and only their hash is stored (in the `AccessTokenIssued` event).
 */
export interface ParsedToken {
  readonly orgId: string;
  readonly tokenId: string;
}

const TOKEN_PATTERN = /^cmk\.([a-z0-9][a-z0-9-]{0,38})\.([a-f0-9]{32})\.([A-Za-z0-9_-]{43})$/;

export function mintAccessToken(orgId: string): { token: string; tokenId: string; sha256: string } {
  const tokenId = randomUUID().replace(/-/g, '');
  const token = `cmk.${orgId}.${tokenId}.${randomBytes(32).toString('base64url')}`;
  return { token, tokenId, sha256: sha256Hex(token) };
}

export function parseAccessToken(token: string): ParsedToken | undefined {
  const match = TOKEN_PATTERN.exec(token);
  return match ? { orgId: match[1], tokenId: match[2] } : undefined;
}

/** One-shot (`crypto.hash`): no Hash object per call, on every authenticated request. */
export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
}

/** Whether `token` hashes to `sha256HexDigest`, compared in constant time (no hex round trip of the token's digest). */
export function tokenMatches(token: string, sha256HexDigest: string): boolean {
  const expected = Buffer.from(sha256HexDigest, 'hex');
  return expected.length === 32 && timingSafeEqual(hash('sha256', token, 'buffer'), expected);
}

/** Constant-time comparison of two hex digests of equal length. */
export function sameDigest(aHex: string, bHex: string): boolean {
  const a = Buffer.from(aHex, 'hex');
  const b = Buffer.from(bHex, 'hex');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

/** Reads `Authorization: Bearer <token>`; `undefined` when absent or malformed. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}
