import Redis from 'ioredis';
import type { DependencyHealth } from './dependency-health';

/** Where a connection's failures go: the health service, or (tests, tools) nowhere. */
export type RedisFailureSink = Pick<DependencyHealth, 'failure'>;

/**
 * A Redis connection that BullMQ accepts (`maxRetriesPerRequest: null`) and that keeps
 * reconnecting while Redis restarts, with capped backoff. Its errors go to `health` (one line
 * per outage) instead of ioredis's "Unhandled error event" dump on stderr.
 */
export function createRedis(url: string, connectionName: string, health?: RedisFailureSink): Redis {
  const redis = new Redis(url, {
    connectionName,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(50 * attempt, 2_000),
  });
  watchRedisConnection(redis, connectionName, health);
  return redis;
}

/**
 * The error listener every ioredis client needs. Recovery is the probes' call (a PING that
 * answers), not a 'ready' event: one connection finishing a reconnect just as the server dies
 * again would otherwise end an outage that is still going on.
 */
export function watchRedisConnection(redis: Redis, connectionName: string, health?: RedisFailureSink): void {
  redis.on('error', (error: unknown) => health?.failure('redis', error, `connection ${connectionName}`));
}
