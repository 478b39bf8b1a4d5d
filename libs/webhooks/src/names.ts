/** Queue, job ids and Redis keys of webhook deliveries. Job ids contain no `:` (BullMQ reserves it). */
export const WEBHOOK_QUEUE = 'cmk-webhook-deliveries';

/** One delivery per (webhook, event): a replayed event or a second dispatcher adds nothing. */
export const deliveryId = (webhookId: string, eventId: string): string => `${webhookId}-${eventId}`;

export const webhookKeys = {
  dispatcherCheckpoint: 'webhooks:v1:dispatcher:checkpoint',
  /** List of delivery ids of one webhook, newest first (capped). */
  deliveries: (webhookId: string): string => `webhooks:v1:deliveries:${webhookId}`,
  /** JSON `DeliveryRecord`. */
  delivery: (id: string): string => `webhooks:v1:delivery:${id}`,
  /** Hash of delivery outcome counts pushed by every worker. */
  metrics: 'webhooks:v1:metrics',
};
