import { Module } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { EVENT_STORE, type EventStore } from '@cmk/eventstore';
import type { KeyProviders } from '@cmk/key-providers';
import { WebhooksService } from '@cmk/webhooks';
import type { ApiConfig } from '../config';
import { WEBHOOK_COMMAND_HANDLERS } from './commands';
import { WebhooksController } from './webhooks.controller';
import { API_CONFIG, KEY_PROVIDERS, REDIS } from '../tokens';

/**
 * `POST/GET/DELETE /api/orgs/:org/webhooks` and `GET …/webhooks/:id/deliveries`. Secrets are
 * wrapped by the platform key (`KEY_PROVIDERS`); the worker fleet delivers.
 */
@Module({
  controllers: [WebhooksController],
  providers: [
    {
      provide: WebhooksService,
      inject: [EVENT_STORE, REDIS, KEY_PROVIDERS, API_CONFIG],
      useFactory: (store: EventStore, redis: Redis, providers: KeyProviders, config: ApiConfig) => new WebhooksService(store, redis, providers.registry.platformProvider, config.webhooks),
    },
    ...WEBHOOK_COMMAND_HANDLERS,
  ],
})
export class WebhooksModule {}
