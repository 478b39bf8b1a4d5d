import { parseStreamName, type DataKeyEvent, type KeyringEvent } from '@cmk/domain';
import type { Position, RecordedEvent } from '@cmk/eventstore';
import { decodeDataKeyEvent, decodeKeyringEvent } from './decode-events';

/** A recorded event the read models understand, decoded at the edge and tagged by category. */
export type ProjectedEvent =
  | { readonly category: 'keyring'; readonly orgId: string; readonly position: Position; readonly event: KeyringEvent }
  | { readonly category: 'datakey'; readonly orgId: string; readonly position: Position; readonly event: DataKeyEvent };

/**
 * Decodes one recorded event. `undefined` means "not for the read models" (another stream
 * category, or an event type this version does not project): the checkpoint still moves past it.
 * A malformed payload of a known type throws.
 */
export function toProjectedEvent(recorded: RecordedEvent): ProjectedEvent | undefined {
  const stream = parseStreamName(recorded.streamId);
  if (!stream) return undefined;
  const raw = { type: recorded.type, data: recorded.data, metadata: recorded.metadata };
  const { position } = recorded;
  switch (stream.category) {
    case 'keyring': {
      const event = decodeKeyringEvent(raw);
      // The stream name is authoritative for the org: a payload naming another org is a defect.
      if (event && event.data.orgId !== stream.id) throw new Error(`${recorded.type} on ${recorded.streamId} names org ${event.data.orgId}`);
      return event && { category: 'keyring', orgId: stream.id, position, event };
    }
    case 'datakey': {
      const event = decodeDataKeyEvent(raw);
      return event && { category: 'datakey', orgId: event.data.orgId, position, event };
    }
    case 'org':
      return undefined;
  }
}
