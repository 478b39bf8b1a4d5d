import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';

/**
 * Minimal JWS/JWT handling on node:crypto, deliberately independent of `jose`, which our own
 * issuer signs with: the emulator plays AWS STS, a separate verifier, so a bug shared with the
 * signer could not hide behind it. The subset STS needs (RS256 and ES256 against a JWKS) is small.
 */
export type JwtAlgorithm = 'RS256' | 'ES256';

export interface DecodedJwt {
  readonly header: { readonly alg?: unknown; readonly kid?: unknown };
  readonly payload: Readonly<Record<string, unknown>>;
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

export interface JwkSet {
  readonly keys: readonly JsonWebKey[];
}

/** A JWKS entry imported once; verification reuses the KeyObject. */
export interface ImportedJwk {
  readonly kid: string | undefined;
  readonly alg: JwtAlgorithm;
  readonly key: KeyObject;
}

export class JwtFormatError extends Error {}

export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtFormatError('not a compact JWS');
  const header = parseJson(parts[0]);
  const payload = parseJson(parts[1]);
  return {
    header,
    payload,
    signingInput: Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii'),
    signature: Buffer.from(parts[2], 'base64url'),
  };
}

/** Imports the usable signing keys of a JWKS; keys we cannot use are skipped, as AWS does. */
export function importJwks(jwks: JwkSet): ImportedJwk[] {
  const imported: ImportedJwk[] = [];
  for (const jwk of jwks.keys) {
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    const alg = algorithmOf(jwk);
    if (!alg) continue;
    try {
      imported.push({ kid: typeof jwk.kid === 'string' ? jwk.kid : undefined, alg, key: createPublicKey({ key: jwk, format: 'jwk' }) });
    } catch {
      continue;
    }
  }
  return imported;
}

/** Candidate keys for a token header: by kid when present, else every key of the algorithm. */
export function candidateKeys(keys: readonly ImportedJwk[], jwt: DecodedJwt): ImportedJwk[] {
  const { alg, kid } = jwt.header;
  return keys.filter((k) => k.alg === alg && (kid === undefined || k.kid === kid));
}

export function verifySignature(jwt: DecodedJwt, key: ImportedJwk): boolean {
  if (key.alg === 'RS256') return verify('sha256', jwt.signingInput, key.key, jwt.signature);
  // JWS carries ECDSA signatures as raw r||s, not DER.
  return verify('sha256', jwt.signingInput, { key: key.key, dsaEncoding: 'ieee-p1363' }, jwt.signature);
}

export function isSupportedAlgorithm(alg: unknown): alg is JwtAlgorithm {
  return alg === 'RS256' || alg === 'ES256';
}

function algorithmOf(jwk: JsonWebKey): JwtAlgorithm | undefined {
  if (jwk.kty === 'RSA' && (jwk.alg === undefined || jwk.alg === 'RS256')) return 'RS256';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256' && (jwk.alg === undefined || jwk.alg === 'ES256')) return 'ES256';
  return undefined;
}

function parseJson(segment: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new JwtFormatError('segment is not base64url JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JwtFormatError('segment is not a JSON object');
  return value as Record<string, unknown>;
}
