import { formatPosition, parsePosition, type Position } from '@cmk/eventstore';
import type { OidcSigningKeyStore } from '@cmk/key-providers';
import type { Redis } from 'ioredis';
import type { ChainerCheckpoint } from './chainer';
import type { DigestSigner } from './org-chain';

/** Redis key of the chainer's resume position (covered by the store-ownership check). */
export const AUDIT_CHECKPOINT_KEY = 'cmk:audit:v1:checkpoint';

/** Moves only forwards, so a slower replica never drags the position back. */
const ADVANCE = `
local current = redis.call('GET', KEYS[1])
if current then
  local c = tonumber(string.match(current, '^(-?%d+)/'))
  if c >= tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1`;

/**
 * Where a restarted chainer resumes. Only an optimisation: losing it means re-reading the log,
 * and each org's chain skips what it already linked (its head position is in its stream).
 */
export function redisChainerCheckpoint(redis: Redis): ChainerCheckpoint {
  return {
    async load() {
      const text = await redis.get(AUDIT_CHECKPOINT_KEY);
      return text ? parsePosition(text) : undefined;
    },
    async save(position: Position) {
      await redis.eval(ADVANCE, 1, AUDIT_CHECKPOINT_KEY, formatPosition(position), String(position.commit));
    },
  };
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
