import { randomBytes } from 'node:crypto';
import { ApplicationError, handleCommand, requestFingerprint } from '@cmk/application';
import { DomainError, hookOf, webhooksCodec, webhooksDecider, webhooksStream, type EventMetadata, type WebhookEntry, type WebhookEventType } from '@cmk/domain';
import type { EventStore } from '@cmk/eventstore';
import type { KeyEncryptionProvider } from '@cmk/key-providers';
import type { Redis } from 'ioredis';
import { DeliveryLog, type DeliveryRecord } from './delivery-log';
import { WEBHOOK_ERROR_CODES } from './errors';
import { newWebhookSecret, wrapWebhookSecret } from './secret';
import type { WebhookSettings } from './settings';
import { checkWebhookUrl, type Resolver } from './url-policy';
import { readWebhooks } from './webhooks-reader';

/** A webhook as the api shows it: never the secret. */
export interface WebhookView {
  readonly id: string;
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly description: string | null;
  readonly createdAt: string;
}

export interface CreateWebhookInput {
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly description?: string;
}

const view = (hook: WebhookEntry): WebhookView => ({ id: hook.webhookId, url: hook.url, events: hook.events, description: hook.description ?? null, createdAt: hook.createdAt });

/**
 * The org admin's webhooks: create (URL checked against the SSRF policy, a new secret wrapped
 * by the platform key and returned once), list, delete, and the delivery log. Commands go
 * through the one command path on `webhooks-<org>`.
 */
export class WebhooksService {
  private readonly log: DeliveryLog;

  constructor(
    private readonly store: EventStore,
    redis: Redis,
    private readonly platform: KeyEncryptionProvider,
    private readonly settings: WebhookSettings,
    private readonly resolve?: Resolver,
  ) {
    this.log = new DeliveryLog(redis);
  }

  async create(orgId: string, input: CreateWebhookInput, metadata: EventMetadata, idempotencyKey?: string): Promise<{ webhook: WebhookView; secret: string }> {
    const { url } = await checkWebhookUrl(input.url, this.settings, this.resolve);
    const webhookId = `wh-${randomBytes(12).toString('hex')}`;
    const secret = newWebhookSecret();
    const wrapped = await wrapWebhookSecret(this.platform, orgId, webhookId, secret);
    const events = [...new Set(input.events)];
    const command = {
      type: 'CreateWebhook' as const,
      data: { orgId, webhookId, url: url.toString(), events, secret: wrapped, ...(input.description === undefined ? {} : { description: input.description }) },
      metadata,
    };
    const result = await handleCommand(this.store, webhooksStream(orgId), webhooksDecider, webhooksCodec, command, {
      idempotencyKey,
      fingerprint: requestFingerprint('CreateWebhook', { url: input.url, events: events.join(','), description: input.description }),
    });
    const created = result.events.find((event) => event.type === 'WebhookCreated');
    if (result.replayed) {
      // The secret is shown once: a retried request cannot show it again.
      throw new ApplicationError('WEBHOOK_ALREADY_CREATED', WEBHOOK_ERROR_CODES.WEBHOOK_ALREADY_CREATED, 'This request already created a webhook, and its secret is shown only once: delete it and create a new one', {
        webhookId: created?.data.webhookId,
      });
    }
    const hook = hookOf(result.state, webhookId);
    if (!hook) throw new Error(`Webhook ${webhookId} was not created`);
    return { webhook: view(hook), secret };
  }

  async list(orgId: string): Promise<WebhookView[]> {
    return Object.values((await readWebhooks(this.store, orgId)).state.hooks).map(view);
  }

  async delete(orgId: string, webhookId: string, metadata: EventMetadata, idempotencyKey?: string): Promise<void> {
    await handleCommand(this.store, webhooksStream(orgId), webhooksDecider, webhooksCodec, { type: 'DeleteWebhook', data: { orgId, webhookId }, metadata }, { idempotencyKey });
  }

  /** The delivery log of a webhook of this org (deleted ones too); another org's id is unknown here. */
  async deliveries(orgId: string, webhookId: string, limit?: number): Promise<DeliveryRecord[]> {
    const { state } = await readWebhooks(this.store, orgId);
    if (!hookOf(state, webhookId) && !state.deleted.includes(webhookId)) throw new DomainError('WEBHOOK_NOT_FOUND', `Webhook ${webhookId} does not exist`, { webhookId });
    return this.log.list(webhookId, limit);
  }
}
