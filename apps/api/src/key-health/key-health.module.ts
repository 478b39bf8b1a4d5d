import { Global, Module } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { EVENT_STORE, type EventStore } from '@cmk/eventstore';
import { HealthMetrics, HealthStore, KeyHealthChecker, KeyHealthGate } from '@cmk/key-health';
import type { KeyProviders } from '@cmk/key-providers';
import type { ApiConfig } from '../config';
import { CheckKeyHealthHandler } from './commands';
import { KeyHealthController } from './key-health.controller';
import { API_CONFIG, KEY_PROVIDERS, REDIS } from '../tokens';

/**
 * Key health in the api: the "check now" route, and the live records the key list, the secrets
 * gate and `/metrics` read. Global so those slices can inject `HealthStore` and `KeyHealthGate`.
 * The worker fleet schedules the probes; the api only answers an admin's check.
 */
@Global()
@Module({
  controllers: [KeyHealthController],
  providers: [
    { provide: HealthStore, inject: [REDIS], useFactory: (redis: Redis) => new HealthStore(redis) },
    { provide: KeyHealthGate, inject: [HealthStore], useFactory: (health: HealthStore) => new KeyHealthGate(health) },
    {
      provide: KeyHealthChecker,
      inject: [EVENT_STORE, REDIS, HealthStore, KEY_PROVIDERS, API_CONFIG],
      useFactory: (store: EventStore, redis: Redis, health: HealthStore, providers: KeyProviders, config: ApiConfig) =>
        new KeyHealthChecker({ store, health, probe: providers.probe, settings: config.keyHealth, metrics: new HealthMetrics(redis) }),
    },
    CheckKeyHealthHandler,
  ],
  exports: [HealthStore, KeyHealthGate],
})
export class KeyHealthModule {}
