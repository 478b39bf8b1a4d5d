import { decodeMetadata, encodeMessage, readData, EventDecodingError, type EncodedEvent, type RawEvent } from '../shared/codec';
import type { Message } from '../shared/metadata';

/**
 * The per-org count of data keys held against `CMK_MAX_DATA_KEYS_PER_ORG`, on the stream
 * `datakeyquota-<orgId>`. Each event carries the running total (`count`), so the current count
 * is the last event alone (one backwards read of one event, however long the stream). Writers
 * append with the revision they read, so concurrent issuers are serialised and the total never
 * passes the limit.
 *
 * - `DataKeyCounted`: a new scope's first data key is about to be issued.
 * - `DataKeyUncounted`: that issue did not happen (another request issued the same scope first,
 *   or the append failed), so the slot is given back.
 */
export type DataKeyCounted = Message<'DataKeyCounted', { orgId: string; dataKeyId: string; count: number }>;
export type DataKeyUncounted = Message<'DataKeyUncounted', { orgId: string; dataKeyId: string; count: number }>;
export type DataKeyQuotaEvent = DataKeyCounted | DataKeyUncounted;

export function decodeDataKeyQuotaEvent(raw: RawEvent): DataKeyQuotaEvent {
  const metadata = decodeMetadata(raw.metadata, raw.type);
  const d = readData(raw);
  const data = { orgId: d.string('orgId'), dataKeyId: d.string('dataKeyId'), count: d.count('count') };
  switch (raw.type) {
    case 'DataKeyCounted':
      return { type: 'DataKeyCounted', data, metadata };
    case 'DataKeyUncounted':
      return { type: 'DataKeyUncounted', data, metadata };
    default:
      throw new EventDecodingError(raw.type, 'type', 'not a data key quota event');
  }
}

export function encodeDataKeyQuotaEvent(event: DataKeyQuotaEvent): EncodedEvent {
  return encodeMessage(event);
}

/** Whether one more data key fits under `max` when `count` are held. */
export function quotaAllows(count: number, max: number): boolean {
  return count < max;
}
