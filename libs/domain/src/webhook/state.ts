import { assertNever } from '../shared/assert-never';
import type { WebhookEvent, WebhookEventType, WrappedWebhookSecret } from './events';

export interface WebhookEntry {
  readonly webhookId: string;
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly secret: WrappedWebhookSecret;
  readonly description?: string;
  readonly createdAt: string;
}

/** The org's live webhooks (stream `webhooks-<orgId>`); deleted ids stay known so they are never reused. */
export interface WebhooksState {
  readonly hooks: Readonly<Record<string, WebhookEntry>>;
  readonly deleted: readonly string[];
}

export function initialState(): WebhooksState {
  return { hooks: {}, deleted: [] };
}

export function evolve(state: WebhooksState, event: WebhookEvent): WebhooksState {
  switch (event.type) {
    case 'WebhookCreated': {
      const { webhookId, url, events, secret, description } = event.data;
      const entry: WebhookEntry = { webhookId, url, events, secret, ...(description === undefined ? {} : { description }), createdAt: event.metadata.occurredAt };
      return { ...state, hooks: { ...state.hooks, [webhookId]: entry } };
    }
    case 'WebhookDeleted': {
      const hooks = { ...state.hooks };
      delete hooks[event.data.webhookId];
      return { hooks, deleted: [...state.deleted, event.data.webhookId] };
    }
    default:
      return assertNever(event);
  }
}

/** The live webhook with this id; own properties only, so ids like `__proto__` find nothing. */
export function hookOf(state: WebhooksState, webhookId: string): WebhookEntry | undefined {
  return Object.hasOwn(state.hooks, webhookId) ? state.hooks[webhookId] : undefined;
}

/** Live webhooks subscribed to `type`, in creation order. */
export function subscribersOf(state: WebhooksState, type: WebhookEventType): WebhookEntry[] {
  return Object.values(state.hooks).filter((hook) => hook.events.includes(type));
}
