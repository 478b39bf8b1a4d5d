import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EventStore } from '@cmk/eventstore';
import type { KeyEncryptionProvider } from '@cmk/key-providers';
import { deliver } from './deliver';
import { DeliveryLog } from './delivery-log';
import { startWebhookDispatcher, type DeliveryJobData, type WebhookLogger } from './dispatcher';
import { WebhookMetrics } from './metrics';
import { WEBHOOK_QUEUE } from './names';
import type { WebhookSettings } from './settings';
import type { Resolver } from './url-policy';

export interface WebhookFleetOptions {
  /** Outages of Redis are reported here instead of logged (the apps' dependency-health service). */
  readonly outages?: { noticed(error: unknown, source: string): boolean };
  readonly store: EventStore;
  readonly redis: Redis;
  readonly connection: ConnectionOptions;
  /** The platform key: unwraps signing secrets. */
  readonly platform: KeyEncryptionProvider;
  readonly settings: WebhookSettings;
  readonly logger: WebhookLogger;
  readonly workerName: string;
  /** DNS resolution of receiver host names. Default: the system resolver. */
  readonly resolve?: Resolver;
  /** Deliveries in flight per worker. Default 8. */
  readonly concurrency?: number;
}

/** The worker side of webhooks: the dispatcher (safe in every replica) and the delivery worker. */
export function startWebhookFleet(options: WebhookFleetOptions): { close(): Promise<void> } {
  const { store, redis, connection, settings, logger } = options;
  const log = new DeliveryLog(redis);
  const metrics = new WebhookMetrics(redis);
  const queue = new Queue<DeliveryJobData>(WEBHOOK_QUEUE, { connection });
  const worker = new Worker<DeliveryJobData>(WEBHOOK_QUEUE, (job) => deliver({ store, platform: options.platform, log, settings, metrics, resolve: options.resolve }, job), {
    connection,
    name: options.workerName,
    concurrency: options.concurrency ?? 8,
  });
  worker.on('failed', (job, error) => logger.warn(`webhook delivery ${job?.id ?? '?'} attempt ${job?.attemptsMade ?? '?'} failed: ${error.message}`));
  // Outages of Redis go to the process's dependency-health service (one line per outage); the
  // queue needs a listener too, or BullMQ prints each connection error raw on stderr.
  const onError = (what: string) => (error: Error) => {
    if (!options.outages?.noticed(error, `webhook ${what}`)) logger.warn(`webhook ${what} error: ${error.message}`);
  };
  worker.on('error', onError('worker'));
  queue.on('error', onError('queue'));
  const dispatcher = startWebhookDispatcher({ store, redis, queue, log, settings, logger, outages: options.outages });
  return {
    async close() {
      await dispatcher.stop();
      await worker.close();
      await queue.close();
    },
  };
}
