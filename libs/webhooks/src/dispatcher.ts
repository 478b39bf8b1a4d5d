import { forwardCheckpoint } from '@cmk/read-models';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { STREAM_PREFIX } from '@cmk/domain';
import { type AllSubscription, type EventStore, type RecordedEvent } from '@cmk/eventstore';
import type { DeliveryLog } from './delivery-log';
import { deliveryId, webhookKeys } from './names';
import { recipientsOf, webhookBodyOf } from './payload';
import type { WebhookSettings } from './settings';
import { readWebhooks } from './webhooks-reader';

export interface DeliveryJobData {
  readonly orgId: string;
  readonly webhookId: string;
  readonly deliveryId: string;
  readonly eventType: string;
  /** The JSON body to sign and send (ids and the change itself; never secrets or key material). */
  readonly body: string;
}

export interface WebhookLogger {
  log(message: string): void;
  warn(message: string): void;
}


/**
 * Follows the key-health and key-ring streams and adds one delivery job per (subscribed
 * webhook, event), id `<webhookId>-<eventId>`: a replay or a second dispatcher adds nothing.
 * The checkpoint is stored after the jobs (at-least-once; receivers de-duplicate by event id).
 */
export function startWebhookDispatcher(options: {
  store: EventStore;
  redis: Redis;
  queue: Queue<DeliveryJobData>;
  log: DeliveryLog;
  settings: WebhookSettings;
  logger: WebhookLogger;
  /** The process's outage reporter: an outage is its one line, not a line per resubscription. */
  outages?: { noticed(error: unknown, source: string): boolean };
}): { stop(): Promise<void> } {
  let stopped = false;
  let subscription: AllSubscription | undefined;
  const checkpoint = forwardCheckpoint(options.redis, webhookKeys.dispatcherCheckpoint);
  const loop = (async () => {
    let backoffMs = 100;
    while (!stopped) {
      try {
        const stored = await checkpoint.load();
        subscription = options.store.subscribeToAll({ fromPosition: stored ?? 'start', filter: { streamNamePrefixes: [STREAM_PREFIX.keyhealth, STREAM_PREFIX.keyring] } });
        if (stopped) await subscription.unsubscribe();
        for await (const item of subscription) {
          if (item.kind === 'event') {
            await dispatch(options, item.event);
            await checkpoint.advance(item.event.position);
          } else if (item.kind === 'caught-up') await checkpoint.advance(item.position);
          backoffMs = 100;
        }
      } catch (error) {
        if (stopped) break;
        if (!options.outages?.noticed(error, 'webhook dispatcher')) options.logger.warn(`webhook dispatcher: ${error instanceof Error ? error.message : String(error)}; resubscribing in ${backoffMs} ms`);
        await subscription?.unsubscribe().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await subscription?.unsubscribe();
      await loop;
    },
  };
}


async function dispatch(options: { store: EventStore; queue: Queue<DeliveryJobData>; log: DeliveryLog; settings: WebhookSettings }, recorded: RecordedEvent): Promise<void> {
  const body = webhookBodyOf(recorded);
  if (!body) return;
  const { state } = await readWebhooks(options.store, body.org);
  for (const hook of recipientsOf(state, body)) {
    const id = deliveryId(hook.webhookId, recorded.id);
    await options.log.open({ id, webhookId: hook.webhookId, eventId: recorded.id, eventType: body.type, createdAt: new Date().toISOString() });
    await options.queue.add(
      'deliver',
      { orgId: body.org, webhookId: hook.webhookId, deliveryId: id, eventType: body.type, body: JSON.stringify(body) },
      {
        jobId: id,
        attempts: options.settings.attempts,
        backoff: { type: 'exponential', delay: options.settings.backoffMs },
        removeOnComplete: { age: 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
  }
}
