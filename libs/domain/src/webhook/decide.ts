import type { Decider } from '../shared/decider';
import { assertNever } from '../shared/assert-never';
import { DomainError } from '../shared/domain-error';
import type { WebhookCommand } from './commands';
import { MAX_WEBHOOKS_PER_ORG, type WebhookEvent } from './events';
import { evolve, hookOf, initialState, type WebhooksState } from './state';

export function decide(command: WebhookCommand, state: WebhooksState): WebhookEvent[] {
  switch (command.type) {
    case 'CreateWebhook': {
      const { webhookId } = command.data;
      if (hookOf(state, webhookId) || state.deleted.includes(webhookId)) throw new DomainError('WEBHOOK_EXISTS', `Webhook ${webhookId} already exists`, { webhookId });
      if (Object.keys(state.hooks).length >= MAX_WEBHOOKS_PER_ORG) {
        throw new DomainError('WEBHOOK_LIMIT_REACHED', `An organization can have at most ${MAX_WEBHOOKS_PER_ORG} webhooks; delete one first`, { max: MAX_WEBHOOKS_PER_ORG });
      }
      return [{ type: 'WebhookCreated', data: { ...command.data, events: [...command.data.events] }, metadata: command.metadata }];
    }
    case 'DeleteWebhook': {
      const { orgId, webhookId } = command.data;
      if (!hookOf(state, webhookId)) throw new DomainError('WEBHOOK_NOT_FOUND', `Webhook ${webhookId} does not exist`, { webhookId });
      return [{ type: 'WebhookDeleted', data: { orgId, webhookId }, metadata: command.metadata }];
    }
    default:
      return assertNever(command);
  }
}

export const webhooksDecider: Decider<WebhookCommand, WebhookEvent, WebhooksState> = { initialState, evolve, decide };
