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
 * claims the database; every later one must find its own store id there.
 */
export async function claimRedisForStore(redis: Redis, redisUrl: string, storeId: string): Promise<void> {
  await redis.set(REDIS_OWNER_KEY, storeId, 'NX');
  const owner = await redis.get(REDIS_OWNER_KEY);
  if (owner !== storeId) throw new RedisOwnedByAnotherStoreError(redisUrl.replace(/\/\/([^@/]*)@/, '//***@'), owner ?? '(none)', storeId);
}
