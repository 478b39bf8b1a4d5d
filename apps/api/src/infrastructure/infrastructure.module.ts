import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { EVENT_STORE, withTimedAppends, type EventStore } from '@cmk/eventstore';
import { ReadModelQueries, readModelKeys, startProjections, type ProjectionRunner } from '@cmk/read-models';
import { fleetKeys } from '@cmk/reencryption';
import {
  claimRedisForStore,
  createRedis,
  DependencyHealth,
  eventStoreProbe,
  openEventStore,
  redisProbe,
  startDependencyProbes,
  storeIdentity,
  untilAvailable,
  type DependencyProbes,
  type GracefulShutdown,
} from '@cmk/runtime';
import { webhookKeys } from '@cmk/webhooks';
import type { ApiConfig } from '../config';
import type { ApiMetrics } from '../ops/api-metrics';
import { API_CONFIG, API_METRICS, DEPENDENCY_HEALTH, PROJECTIONS, REDIS, SHUTDOWN } from '../tokens';

/** The dependency probes of this process (private to this module: nothing else injects them). */
const PROBES = Symbol('PROBES');

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
      inject: [API_CONFIG, DEPENDENCY_HEALTH, SHUTDOWN, API_METRICS],
      useFactory: async (config: ApiConfig, health: DependencyHealth, shutdown: GracefulShutdown, metrics: ApiMetrics) => {
        const opened = await untilAvailable(() => openEventStore(config, health), { health, stopping: () => shutdown.stopping, what: 'opening the event store' });
        shutdown.register('event store', () => opened.close());
        return withTimedAppends(opened, metrics.observeAppend);
      },
    },
    {
      provide: REDIS,
      inject: [API_CONFIG, EVENT_STORE, DEPENDENCY_HEALTH, SHUTDOWN],
      useFactory: async (config: ApiConfig, store: EventStore, health: DependencyHealth, shutdown: GracefulShutdown) => {
        const redis = createRedis(config.redisUrl, 'cmk-api', health);
        // Registered at once: a SIGTERM while the claim waits for Redis cuts the wait short.
        shutdown.register('redis', async () => redis.disconnect());
        const wait = (what: string) => ({ health, stopping: () => shutdown.stopping, what });
        const storeId = await untilAvailable(() => storeIdentity(store), wait('reading the event store identity'));
        await untilAvailable(() => claimRedisForStore(redis, config.redisUrl, storeId, [readModelKeys().checkpoint, fleetKeys.dispatcherCheckpoint, webhookKeys.dispatcherCheckpoint]), wait('claiming Redis'));
        return redis;
      },
    },
    {
      provide: PROBES,
      inject: [DEPENDENCY_HEALTH, REDIS, EVENT_STORE],
      useFactory: (health: DependencyHealth, redis: Redis, store: EventStore) => startDependencyProbes(health, { redis: redisProbe(redis), eventstore: eventStoreProbe(store) }),
    },
    { provide: ReadModelQueries, inject: [REDIS], useFactory: (redis: Redis) => new ReadModelQueries(redis) },
    {
      provide: PROJECTIONS,
      inject: [EVENT_STORE, REDIS, DEPENDENCY_HEALTH],
      useFactory: (store: EventStore, redis: Redis, health: DependencyHealth) =>
        startProjections({
          store,
          redis,
          outages: health,
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
    @Inject(PROBES) private readonly probes: DependencyProbes,
    @Inject(DEPENDENCY_HEALTH) private readonly health: DependencyHealth,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.probes.stop();
    // A write waiting for an unreachable Redis would never return: cut it, the checkpoint is safe.
    if (!this.health.isUp('redis')) this.redis.disconnect();
    await this.projections.stop();
    await this.store.close();
    this.redis.disconnect();
  }
}
