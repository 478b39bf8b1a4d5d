import type { Redis } from 'ioredis';

/** Where a Redis database records which event store its read models and queues belong to. */
export const REDIS_OWNER_KEY = 'cmk:event-store-id';

/** Redis holds read models, checkpoints and jobs of a different event store. */
export class RedisOwnedByAnotherStoreError extends Error {
  override readonly name = 'RedisOwnedByAnotherStoreError';
  constructor(
    readonly redisUrl: string,
    readonly owner: string,
    readonly storeId: string,
  ) {
    super(
      `Redis at ${redisUrl} holds read models and queues of another event store (id ${owner}; this store is ${storeId}). ` +
        'Its checkpoints would hide this store\'s events. Point REDIS_URL at another database (e.g. redis://127.0.0.1:6379/1), ' +
        `or, if that data is stale, delete it (read models rebuild from the event store): redis-cli -u ${redisUrl} FLUSHDB`,
    );
  }
}

/**
 * Ties a Redis database to one event store. Read models are disposable and rebuilt from the
 * store, but only if their checkpoint belongs to that store: a Redis that served another store
 * (a deleted data directory, a second deployment) would silently skip events. The first process
 * claims the database; every later one must find its own store id there. `checkpointKeys` are
 * the consumers' checkpoints: a database that has some but no owner is refused too.
 */
export async function claimRedisForStore(redis: Redis, redisUrl: string, storeId: string, checkpointKeys: readonly string[] = []): Promise<void> {
  const owner = await redis.eval(CLAIM_SCRIPT, 1 + checkpointKeys.length, REDIS_OWNER_KEY, ...checkpointKeys, storeId);
  if (owner !== storeId) {
    const shown = typeof owner === 'string' && owner !== '' ? owner : '(unknown: checkpoints written before ownership was recorded)';
    throw new RedisOwnedByAnotherStoreError(redisUrl.replace(/\/\/([^@/]*)@/, '//***@'), shown, storeId);
  }
}

/**
 * Claims the database when it has no owner AND none of the given checkpoint keys (a checkpoint
 * without an owner belongs to a store we cannot identify); returns the owner, or '' when
 * unowned checkpoints block the claim. One script, so two processes cannot both claim.
 */
const CLAIM_SCRIPT = `
local owner = redis.call('GET', KEYS[1])
if owner then return owner end
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then return '' end
end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`;
