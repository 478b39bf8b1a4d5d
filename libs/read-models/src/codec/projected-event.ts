import { decodeDataKeyEvent, decodeKeyringEvent, parseStreamName, type DataKeyEvent, type KeyringEvent } from '@cmk/domain';
import type { Position, RecordedEvent } from '@cmk/eventstore';

/** A recorded event the read models understand, decoded at the edge and tagged by category. */
export type ProjectedEvent =
  | { readonly category: 'keyring'; readonly orgId: string; readonly position: Position; readonly event: KeyringEvent }
  | { readonly category: 'datakey'; readonly orgId: string; readonly position: Position; readonly event: DataKeyEvent };

/*
 * The domain codecs reject types they do not know. The read models must instead step over them
 * (an event type added by a newer writer must not stall every org's read model), so they only
 * hand the codecs the types listed here. `Record<...Type, true>` makes the compiler demand an
 * entry when the domain adds an event type.
 */
const KEYRING_TYPES: Readonly<Record<KeyringEvent['type'], true>> = {
  KeyAdded: true,
  DefaultChanged: true,
  KeyDisabled: true,
  AllKeysDisabled: true,
  ReencryptionStarted: true,
  ReencryptionProgressed: true,
  ReencryptionCompleted: true,
  ReencryptionFailed: true,
  PlatformOrgKeyDestroyed: true,
};
const DATAKEY_TYPES: Readonly<Record<DataKeyEvent['type'], true>> = { DataKeyIssued: true, DataKeyRewrapped: true, DataKeyUseReserved: true };

const known = (types: Readonly<Record<string, true>>, type: string): boolean => Object.prototype.hasOwnProperty.call(types, type);

/**
 * Decodes one recorded event with the domain codecs (validation and upcasting). `undefined` means
 * "not for the read models" (another stream category, or a type this version does not project):
 * the checkpoint still moves past it. A malformed payload of a known type throws
 * `EventDecodingError`.
 */
export function toProjectedEvent(recorded: RecordedEvent): ProjectedEvent | undefined {
  const stream = parseStreamName(recorded.streamId);
  if (!stream) return undefined;
  const raw = { type: recorded.type, data: recorded.data, metadata: recorded.metadata };
  const { position } = recorded;
  switch (stream.category) {
    case 'keyring': {
      if (!known(KEYRING_TYPES, recorded.type)) return undefined;
      const event = decodeKeyringEvent(raw);
      // The stream name is authoritative for the org: a payload naming another org is a defect.
      if (event.data.orgId !== stream.id) throw new Error(`${recorded.type} on ${recorded.streamId} names org ${event.data.orgId}`);
      return { category: 'keyring', orgId: stream.id, position, event };
    }
    case 'datakey': {
      if (!known(DATAKEY_TYPES, recorded.type)) return undefined;
      const event = decodeDataKeyEvent(raw);
      return { category: 'datakey', orgId: event.data.orgId, position, event };
    }
    case 'org':
    case 'datakeyquota':
      return undefined;
  }
}
