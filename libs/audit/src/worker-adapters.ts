import { forwardCheckpoint } from '@cmk/read-models';
import type { OidcSigningKeyStore } from '@cmk/key-providers';
import type { Redis } from 'ioredis';
import type { ChainerCheckpoint } from './chainer';
import type { DigestSigner } from './org-chain';

/** Redis key of the chainer's resume position (covered by the store-ownership check). */
export const AUDIT_CHECKPOINT_KEY = 'cmk:audit:v1:checkpoint';


/**
 * Where a restarted chainer resumes. Only an optimisation: losing it means re-reading the log,
 * and each org's chain skips what it already linked (its head position is in its stream).
 */
export function redisChainerCheckpoint(redis: Redis): ChainerCheckpoint {
  const checkpoint = forwardCheckpoint(redis, AUDIT_CHECKPOINT_KEY);
  return { load: () => checkpoint.load(), save: (position) => checkpoint.advance(position) };
}

/** Digests are signed with the service's current OIDC signing key (the one in its JWKS). */
export function oidcDigestSigner(keys: OidcSigningKeyStore): DigestSigner {
  return {
    async current() {
      const key = await keys.signingKey();
      const publicJwk = (await keys.jwks()).keys.find((k) => k.kid === key.kid);
      if (!publicJwk) throw new Error(`signing key ${key.kid} is not in the JWKS`);
      return { ...key, publicJwk: { ...publicJwk } };
    },
  };
}
