import { decodeMetadata, encodeMessage, readData, EventDecodingError, type EncodedEvent, type EventCodec, type RawEvent } from '../shared/codec';
import type { DataKeyEvent } from './events';

/** Validates a stored data key event; throws `EventDecodingError` on any mismatch. */
export function decodeDataKeyEvent(raw: RawEvent): DataKeyEvent {
  const metadata = decodeMetadata(raw.metadata, raw.type);
  const d = readData(raw);
  const orgId = d.string('orgId');
  const dataKeyId = d.string('dataKeyId');
  switch (raw.type) {
    case 'DataKeyIssued':
      return {
        type: 'DataKeyIssued',
        data: {
          orgId,
          dataKeyId,
          scope: d.string('scope'),
          wrappedBy: d.string('wrappedBy'),
          kekRef: d.string('kekRef'),
          wrapped: d.string('wrapped'),
          ...withGeneration(d.optionalCount('generation')),
        },
        metadata,
      };
    case 'DataKeyUseReserved':
      return { type: 'DataKeyUseReserved', data: { orgId, dataKeyId, upTo: d.count('upTo') }, metadata };
    case 'DataKeyRewrapped':
      return {
        type: 'DataKeyRewrapped',
        data: {
          orgId,
          dataKeyId,
          from: d.string('from'),
          to: d.string('to'),
          kekRef: d.string('kekRef'),
          wrapped: d.string('wrapped'),
          reencryptionId: d.string('reencryptionId'),
        },
        metadata,
      };
    default:
      throw new EventDecodingError(raw.type, 'type', 'not a data key event');
  }
}

/** Events written before generations have none: the field stays absent rather than becoming 0. */
const withGeneration = (generation: number | undefined): { generation?: number } => (generation === undefined ? {} : { generation });

export function encodeDataKeyEvent(event: DataKeyEvent): EncodedEvent {
  return encodeMessage(event);
}

export const dataKeyCodec: EventCodec<DataKeyEvent> = { decode: decodeDataKeyEvent, encode: encodeDataKeyEvent };
