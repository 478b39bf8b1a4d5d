import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A signing key the test issuer publishes in its JWKS. */
interface SigningKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly privateKey: KeyObject;
  readonly publicJwk: Record<string, unknown>;
}

export interface SignOptions {
  readonly alg?: 'RS256' | 'ES256';
  /** Seconds from now; negative for an already expired token. Default 300. */
  readonly expiresIn?: number;
  /** Sign with a key the issuer does not publish (a forged token). Default false. */
  readonly foreignKey?: boolean;
}

export interface TestOidcIssuer {
  readonly issuer: string;
  /** How often discovery and JWKS were fetched: proves the emulator caches. */
  readonly fetches: { discovery: number; jwks: number };
  sign(claims: Record<string, unknown>, options?: SignOptions): string;
  close(): Promise<void>;
}

/**
 * A local OIDC issuer for tests: serves discovery and a JWKS with one RS256 and one ES256 key,
 * and signs tokens (node:crypto, since jose is ESM-only and cannot load under this Jest setup).
 */
export async function startTestOidcIssuer(): Promise<TestOidcIssuer> {
  const keys = [signingKey('RS256'), signingKey('ES256')];
  const foreign = { RS256: signingKey('RS256'), ES256: signingKey('ES256') };
  const fetches = { discovery: 0, jwks: 0 };
  let issuer = '';
  const server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      fetches.discovery += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    } else if (req.url === '/jwks') {
      fetches.jwks += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    fetches,
    sign(claims, options = {}) {
      const alg = options.alg ?? 'RS256';
      const key = options.foreignKey ? foreign[alg] : (keys.find((k) => k.alg === alg) as SigningKey);
      const now = Math.floor(Date.now() / 1000);
      const payload = { iss: issuer, iat: now, exp: now + (options.expiresIn ?? 300), jti: randomUUID(), ...claims };
      return signJwt({ alg, kid: key.kid, typ: 'JWT' }, payload, key);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function signingKey(alg: 'RS256' | 'ES256'): SigningKey {
  const pair = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomUUID();
  return { kid, alg, privateKey: pair.privateKey, publicJwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } };
}

function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: SigningKey): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature =
    key.alg === 'RS256' ? sign('sha256', Buffer.from(input), key.privateKey) : sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

function b64url(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
