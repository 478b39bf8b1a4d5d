import { decodeMetadata, encodeMessage, readData, EventDecodingError, type EncodedEvent, type EventCodec, type RawEvent } from '../shared/codec';
import { EDITIONS, ORG_ROLES, type OrgEvent } from './events';

/** Validates a stored org event; throws `EventDecodingError` on any mismatch. */
export function decodeOrgEvent(raw: RawEvent): OrgEvent {
  const metadata = decodeMetadata(raw.metadata, raw.type);
  const d = readData(raw);
  const orgId = d.string('orgId');
  switch (raw.type) {
    case 'OrganizationRegistered':
      return { type: 'OrganizationRegistered', data: { orgId, name: d.string('name'), edition: d.oneOf('edition', EDITIONS) }, metadata };
    case 'EditionChanged':
      return { type: 'EditionChanged', data: { orgId, from: d.oneOf('from', EDITIONS), to: d.oneOf('to', EDITIONS) }, metadata };
    case 'AccessTokenIssued':
      return {
        type: 'AccessTokenIssued',
        data: { orgId, tokenId: d.string('tokenId'), user: d.string('user'), role: d.oneOf('role', ORG_ROLES), sha256: d.string('sha256') },
        metadata,
      };
    case 'AccessTokenRevoked':
      return { type: 'AccessTokenRevoked', data: { orgId, tokenId: d.string('tokenId') }, metadata };
    default:
      throw new EventDecodingError(raw.type, 'type', 'not an org event');
  }
}

export function encodeOrgEvent(event: OrgEvent): EncodedEvent {
  return encodeMessage(event);
}

export const orgCodec: EventCodec<OrgEvent> = { decode: decodeOrgEvent, encode: encodeOrgEvent };
