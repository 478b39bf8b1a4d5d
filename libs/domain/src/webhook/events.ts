import type { Message } from '../shared/metadata';

/** What a webhook can subscribe to. */
export const WEBHOOK_EVENT_TYPES = ['key.health_changed', 'reencryption.completed', 'reencryption.failed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** At most this many webhooks per organisation. */
export const MAX_WEBHOOKS_PER_ORG = 10;

/**
 * The signing secret as stored: wrapped by the platform key under the context
 * `{org, dataKey: "webhook-<id>"}`, never in clear (an event is forever; the secret is shown once).
 */
export interface WrappedWebhookSecret {
  readonly kekRef: string;
  /** base64 */
  readonly wrapped: string;
}

export type WebhookCreated = Message<
  'WebhookCreated',
  { orgId: string; webhookId: string; url: string; events: WebhookEventType[]; secret: WrappedWebhookSecret; description?: string }
>;

export type WebhookDeleted = Message<'WebhookDeleted', { orgId: string; webhookId: string }>;

export type WebhookEvent = WebhookCreated | WebhookDeleted;
