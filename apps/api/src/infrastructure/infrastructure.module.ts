import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { EVENT_STORE, withTimedAppends, type EventStore } from '@cmk/eventstore';
import { ReadModelQueries, readModelKeys, startProjections, type ProjectionRunner } from '@cmk/read-models';
import { fleetKeys } from '@cmk/reencryption';
import { webhookKeys } from '@cmk/webhooks';
import { claimRedisForStore, createRedis, openEventStore, storeIdentity } from '@cmk/runtime';
import type { ApiConfig } from '../config';
import type { ApiMetrics } from '../ops/api-metrics';
import { API_CONFIG, API_METRICS, PROJECTIONS, REDIS } from '../tokens';

const projectionLogger = new Logger('projections');

/**
 * The api's connections: the event store (SQLite or EventStoreDB by configuration), Redis, the
 * read-model queries, and the projection runner. Projections run in every api replica (they
 * are idempotent) so a command can wait in-process until its own events are readable.
 */
@Global()
@Module({
  providers: [
    {
      provide: EVENT_STORE,
      inject: [API_CONFIG, API_METRICS],
      useFactory: async (config: ApiConfig, metrics: ApiMetrics) => withTimedAppends(await openEventStore(config), metrics.observeAppend),
    },
    {
      provide: REDIS,
      inject: [API_CONFIG, EVENT_STORE],
      useFactory: async (config: ApiConfig, store: EventStore) => {
        const redis = createRedis(config.redisUrl, 'cmk-api');
        await claimRedisForStore(redis, config.redisUrl, await storeIdentity(store), [readModelKeys().checkpoint, fleetKeys.dispatcherCheckpoint, webhookKeys.dispatcherCheckpoint]);
        return redis;
      },
    },
    { provide: ReadModelQueries, inject: [REDIS], useFactory: (redis: Redis) => new ReadModelQueries(redis) },
    {
      provide: PROJECTIONS,
      inject: [EVENT_STORE, REDIS],
      useFactory: (store: EventStore, redis: Redis) =>
        startProjections({
          store,
          redis,
          logger: {
            log: (message, details) => projectionLogger.log(details ? `${message} ${JSON.stringify(details)}` : message),
            warn: (message, details) => projectionLogger.warn(details ? `${message} ${JSON.stringify(details)}` : message),
            error: (message, details) => projectionLogger.error(details ? `${message} ${JSON.stringify(details)}` : message),
          },
        }),
    },
  ],
  exports: [EVENT_STORE, REDIS, ReadModelQueries, PROJECTIONS],
})
export class InfrastructureModule implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(PROJECTIONS) private readonly projections: ProjectionRunner,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.projections.stop();
    await this.store.close();
    this.redis.disconnect();
  }
}
