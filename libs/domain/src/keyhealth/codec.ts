import { decodeMetadata, encodeMessage, readData, EventDecodingError, type EncodedEvent, type RawEvent } from '../shared/codec';
import { HEALTH_STATES, UNKNOWN_HEALTH, type KeyHealthEvent } from './events';

/** Validates a stored key-health event; throws `EventDecodingError` on any mismatch. */
export function decodeKeyHealthEvent(raw: RawEvent): KeyHealthEvent {
  const metadata = decodeMetadata(raw.metadata, raw.type);
  const d = readData(raw);
  switch (raw.type) {
    case 'KeyHealthChanged': {
      const code = d.optionalString('code');
      return {
        type: 'KeyHealthChanged',
        data: {
          orgId: d.string('orgId'),
          keyId: d.string('keyId'),
          from: d.oneOf('from', [...HEALTH_STATES, UNKNOWN_HEALTH]),
          to: d.oneOf('to', HEALTH_STATES),
          reason: d.string('reason'),
          ...(code === undefined ? {} : { code }),
          since: d.string('since'),
        },
        metadata,
      };
    }
    default:
      throw new EventDecodingError(raw.type, 'type', 'not a key-health event');
  }
}

export function encodeKeyHealthEvent(event: KeyHealthEvent): EncodedEvent {
  return encodeMessage(event);
}

export const keyHealthCodec = { decode: decodeKeyHealthEvent, encode: encodeKeyHealthEvent };
