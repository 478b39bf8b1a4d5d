// Translation between the port's types and `@eventstore/db-client`'s, in one place.
import {
  ANY,
  END,
  jsonEvent,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  type AppendExpectedRevision,
  type EventData as ClientEventData,
  type Position as ClientPosition,
  type ResolvedEvent,
} from '@eventstore/db-client';
import type { EventData, ExpectedRevision, JsonObject, RecordedEvent, Position } from '@cmk/eventstore/port';

/**
 * Streams that are not the log's, which the port never shows (not in `readAll`, subscriptions or
 * the head position): the server's own (`$settings`, `$stats-...`, `$$...`), and the org platform
 * key store's (`orgplatformkey-<org>-g<N>`, `orgplatformkeys-…`), written beside the log so they
 * can be hard-deleted. Were an org key rewrap the log's last event, every wait for the head would
 * wait for a position no projection ever reaches.
 */
export function isSystemStream(streamName: string): boolean {
  return streamName.startsWith('$') || streamName.startsWith(ORG_KEY_STREAM_PREFIX);
}

/** Prefix of the streams of `EsdbOrgKeyStore` (libs/key-providers), which must begin with it. */
export const ORG_KEY_STREAM_PREFIX = 'orgplatformkey';

export function toClientExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    case 'any':
      return ANY;
    default:
      return expected;
  }
}

/** The port's text form of an expected revision, as `ConcurrencyError.expected` carries it. */
export function expectedRevisionText(expected: ExpectedRevision): string {
  return typeof expected === 'bigint' ? expected.toString() : expected;
}

export function toClientEvent(event: EventData): ClientEventData {
  return jsonEvent({ id: event.id, type: event.type, data: event.data, metadata: event.metadata });
}

export function toClientPosition(position: Position | 'start' | 'end'): ClientPosition | typeof START | typeof END {
  if (position === 'start') return START;
  if (position === 'end') return END;
  return { commit: position.commit, prepare: position.prepare };
}

/**
 * A JSON object as `JSON.parse` produced it. The client parsed the bytes, so every nested value
 * is already JSON; only the top level needs checking.
 */
function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** Raised when a stream holds an event the port cannot represent (binary, or not a JSON object). */
export class UnsupportedEventError extends Error {
  override readonly name = 'UnsupportedEventError';
  constructor(
    readonly streamName: string,
    readonly eventId: string,
    reason: string,
  ) {
    super(`Event ${eventId} in ${streamName} cannot be read through the event store port: ${reason}`);
  }
}

export function toRecordedEvent(resolved: ResolvedEvent): RecordedEvent {
  const event = resolved.event;
  if (!event) throw new Error('The server sent a read result without an event (unresolved link?)');
  if (!event.isJson || !isJsonObject(event.data)) {
    throw new UnsupportedEventError(event.streamId, event.id, 'its data is not a JSON object');
  }
  const metadata = event.metadata ?? {};
  if (!isJsonObject(metadata)) throw new UnsupportedEventError(event.streamId, event.id, 'its metadata is not a JSON object');
  // Servers before 22.6 send no position on stream reads; the port needs one on every event.
  if (!event.position) throw new Error(`The server sent no position for ${event.streamId}@${event.revision} (needs EventStoreDB 22.6+)`);
  return {
    streamId: event.streamId,
    id: event.id,
    type: event.type,
    revision: event.revision,
    position: { commit: event.position.commit, prepare: event.position.prepare },
    data: event.data,
    metadata,
    created: event.created,
  };
}
