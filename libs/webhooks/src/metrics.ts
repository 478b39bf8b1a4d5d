import type { Redis } from 'ioredis';
import { webhookKeys } from './names';

export type DeliveryOutcome = 'delivered' | 'retried' | 'failed' | 'refused' | 'cancelled';
export const DELIVERY_OUTCOMES: readonly DeliveryOutcome[] = ['delivered', 'retried', 'failed', 'refused', 'cancelled'];

/** Delivery outcomes pushed by every worker to one Redis hash (one scrape of the api sees the fleet). */
export class WebhookMetrics {
  constructor(private readonly redis: Redis) {}

  delivery(outcome: DeliveryOutcome): void {
    this.redis.hincrby(webhookKeys.metrics, outcome, 1).catch(() => undefined);
  }
}

/** `cmk_webhook_deliveries_total{outcome}`: delivered, retried (a failed attempt that will be retried), failed (gave up), refused (URL no longer allowed), cancelled (webhook deleted). */
export async function renderWebhookMetrics(redis: Redis): Promise<string> {
  const hash = await redis.hgetall(webhookKeys.metrics);
  const lines = ['# HELP cmk_webhook_deliveries_total Webhook delivery attempts by outcome.', '# TYPE cmk_webhook_deliveries_total counter'];
  for (const outcome of DELIVERY_OUTCOMES) lines.push(`cmk_webhook_deliveries_total{outcome="${outcome}"} ${Number(hash[outcome] ?? 0)}`);
  return `${lines.join('\n')}\n`;
}
