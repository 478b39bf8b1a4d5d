import { decodeMetadata, encodeMessage, readData, EventDecodingError, FieldReader, type EncodedEvent, type RawEvent } from '../shared/codec';
import { WEBHOOK_EVENT_TYPES, type WebhookEvent } from './events';

/** Validates a stored webhook event; throws `EventDecodingError` on any mismatch. */
export function decodeWebhookEvent(raw: RawEvent): WebhookEvent {
  const metadata = decodeMetadata(raw.metadata, raw.type);
  const d = readData(raw);
  const orgId = d.string('orgId');
  const webhookId = d.string('webhookId');
  switch (raw.type) {
    case 'WebhookCreated': {
      const events = d.stringArray('events').map((event, i) => {
        const match = WEBHOOK_EVENT_TYPES.find((type) => type === event);
        return match ?? d.fail(`events[${i}]`, `expected one of ${WEBHOOK_EVENT_TYPES.join(', ')}`);
      });
      const secret = FieldReader.of((raw.data as Record<string, unknown>).secret, raw.type, 'data.secret');
      const description = d.optionalString('description');
      return {
        type: 'WebhookCreated',
        data: { orgId, webhookId, url: d.string('url'), events, secret: { kekRef: secret.string('kekRef'), wrapped: secret.string('wrapped') }, ...(description === undefined ? {} : { description }) },
        metadata,
      };
    }
    case 'WebhookDeleted':
      return { type: 'WebhookDeleted', data: { orgId, webhookId }, metadata };
    default:
      throw new EventDecodingError(raw.type, 'type', 'not a webhook event');
  }
}

export function encodeWebhookEvent(event: WebhookEvent): EncodedEvent {
  return encodeMessage(event);
}

export const webhooksCodec = { decode: decodeWebhookEvent, encode: encodeWebhookEvent };
