import type { Message } from '../shared/metadata';
import type { WebhookEventType, WrappedWebhookSecret } from './events';

/** The url was checked (scheme, addresses) and the secret wrapped before the command is made. */
export type CreateWebhook = Message<
  'CreateWebhook',
  { orgId: string; webhookId: string; url: string; events: WebhookEventType[]; secret: WrappedWebhookSecret; description?: string }
>;

export type DeleteWebhook = Message<'DeleteWebhook', { orgId: string; webhookId: string }>;

export type WebhookCommand = CreateWebhook | DeleteWebhook;
