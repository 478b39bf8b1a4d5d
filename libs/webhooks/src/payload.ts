import { decodeKeyHealthEvent, decodeKeyringEvent, STREAM_PREFIX, subscribersOf, type WebhookEntry, type WebhookEventType, type WebhooksState } from '@cmk/domain';
import type { RecordedEvent } from '@cmk/eventstore';

/** What a receiver gets: the same shape for every event type. */
export interface WebhookBody {
  /** The event's id: receivers de-duplicate retried deliveries by it. */
  readonly id: string;
  readonly type: WebhookEventType;
  readonly org: string;
  readonly occurredAt: string;
  readonly data: Record<string, unknown>;
}

/**
 * The webhook body of a recorded event, or undefined for events no webhook is about. Decoded by
 * the domain codecs (never cast); only the fields a receiver needs, never key material.
 */
export function webhookBodyOf(recorded: RecordedEvent): WebhookBody | undefined {
  if (recorded.streamId.startsWith(STREAM_PREFIX.keyhealth) && recorded.type === 'KeyHealthChanged') {
    const { data, metadata } = decodeKeyHealthEvent(recorded);
    return {
      id: recorded.id,
      type: 'key.health_changed',
      org: data.orgId,
      occurredAt: metadata.occurredAt,
      data: { keyId: data.keyId, from: data.from, to: data.to, reason: data.reason, code: data.code ?? null, since: data.since },
    };
  }
  if (recorded.streamId.startsWith(STREAM_PREFIX.keyring) && (recorded.type === 'ReencryptionCompleted' || recorded.type === 'ReencryptionFailed')) {
    const event = decodeKeyringEvent(recorded);
    if (event.type === 'ReencryptionCompleted') {
      const { orgId, reencryptionId, rewrapped, failed } = event.data;
      return { id: recorded.id, type: 'reencryption.completed', org: orgId, occurredAt: event.metadata.occurredAt, data: { reencryptionId, rewrapped, failed } };
    }
    if (event.type === 'ReencryptionFailed') {
      const { orgId, reencryptionId, reason, rewrapped, failed, failuresByCode } = event.data;
      return { id: recorded.id, type: 'reencryption.failed', org: orgId, occurredAt: event.metadata.occurredAt, data: { reencryptionId, reason, rewrapped, failed, failuresByCode } };
    }
  }
  return undefined;
}

/**
 * The webhooks a body goes to: subscribed to its type and created before it happened. A webhook
 * hears what happens after it exists, not the history a lagging (or first-run) dispatcher is
 * still catching up on.
 */
export function recipientsOf(state: WebhooksState, body: WebhookBody): WebhookEntry[] {
  return subscribersOf(state, body.type).filter((hook) => hook.createdAt <= body.occurredAt);
}
