import Redis from 'ioredis';

/**
 * A Redis connection that BullMQ accepts (`maxRetriesPerRequest: null`) and that keeps
 * reconnecting while Redis restarts, with capped backoff.
 */
export function createRedis(url: string, connectionName: string): Redis {
  return new Redis(url, {
    connectionName,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(50 * attempt, 2_000),
  });
}
