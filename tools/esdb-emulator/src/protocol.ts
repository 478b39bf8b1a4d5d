// Translation between the wire messages the client package generates and the emulator's log.
// The message classes come from `@eventstore/db-client/generated` so that the bytes on the wire
// are exactly what the official client expects.
import { AppendReq, AppendResp, ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { Empty, StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import type { AppendOutcome, ExpectedState, ProposedEvent, StoredEvent } from './log';

export function streamNameOf(identifier: StreamIdentifier | undefined): string {
  if (!identifier) throw new Error('Missing stream identifier');
  return Buffer.from(identifier.getStreamName_asU8()).toString('utf8');
}

export function streamIdentifier(streamName: string): StreamIdentifier {
  const identifier = new StreamIdentifier();
  identifier.setStreamName(Uint8Array.from(Buffer.from(streamName, 'utf8')));
  return identifier;
}

export function expectedStateOf(options: AppendReq.Options): ExpectedState {
  switch (options.getExpectedStreamRevisionCase()) {
    case AppendReq.Options.ExpectedStreamRevisionCase.REVISION:
      return { kind: 'revision', revision: BigInt(options.getRevision()) };
    case AppendReq.Options.ExpectedStreamRevisionCase.NO_STREAM:
      return { kind: 'no_stream' };
    case AppendReq.Options.ExpectedStreamRevisionCase.STREAM_EXISTS:
      return { kind: 'stream_exists' };
    default:
      return { kind: 'any' };
  }
}

function uuidText(uuid: UUID | undefined): string {
  if (!uuid) throw new Error('Proposed message without an id');
  const structured = uuid.getStructured();
  if (!structured) return uuid.getString();
  const hex = (value: string) => BigInt.asUintN(64, BigInt(value)).toString(16).padStart(16, '0');
  const text = hex(structured.getMostSignificantBits()) + hex(structured.getLeastSignificantBits());
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}

function uuidMessage(id: string, structured: boolean): UUID {
  const uuid = new UUID();
  if (!structured) return uuid.setString(id);
  const hex = id.replace(/-/g, '');
  const parts = new UUID.Structured();
  parts.setMostSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)).toString());
  parts.setLeastSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)).toString());
  return uuid.setStructured(parts);
}

export function proposedEventOf(message: AppendReq.ProposedMessage): ProposedEvent {
  const metadata = message.getMetadataMap();
  return {
    id: uuidText(message.getId()),
    type: metadata.get('type') ?? '',
    contentType: metadata.get('content-type') ?? 'application/octet-stream',
    data: message.getData_asU8(),
    customMetadata: message.getCustomMetadata_asU8(),
  };
}

/** The Append answer, shaped like the real server's (current revision or "no stream"). */
export function appendResponse(outcome: AppendOutcome, expected: ExpectedState): AppendResp {
  const response = new AppendResp();
  if (outcome.kind === 'success') {
    const success = new AppendResp.Success();
    success.setCurrentRevision(outcome.currentRevision.toString());
    const position = new AppendResp.Position();
    position.setCommitPosition(outcome.position.toString());
    position.setPreparePosition(outcome.position.toString());
    success.setPosition(position);
    return response.setSuccess(success);
  }
  const wrong = new AppendResp.WrongExpectedVersion();
  if (outcome.currentRevision === undefined) wrong.setCurrentNoStream(new Empty());
  else wrong.setCurrentRevision(outcome.currentRevision.toString());
  switch (expected.kind) {
    case 'revision':
      wrong.setExpectedRevision(expected.revision.toString());
      break;
    case 'no_stream':
      wrong.setExpectedNoStream(new Empty());
      break;
    case 'stream_exists':
      wrong.setExpectedStreamExists(new Empty());
      break;
    case 'any':
      wrong.setExpectedAny(new Empty());
      break;
  }
  return response.setWrongExpectedVersion(wrong);
}

export function eventResponse(event: StoredEvent, structuredIds: boolean): ReadResp {
  const recorded = new ReadResp.ReadEvent.RecordedEvent();
  recorded.setId(uuidMessage(event.id, structuredIds));
  recorded.setStreamIdentifier(streamIdentifier(event.streamName));
  recorded.setStreamRevision(event.revision.toString());
  recorded.setCommitPosition(event.position.toString());
  recorded.setPreparePosition(event.position.toString());
  const metadata = recorded.getMetadataMap();
  metadata.set('type', event.type);
  metadata.set('content-type', event.contentType);
  metadata.set('created', event.createdTicks.toString());
  recorded.setData(event.data);
  recorded.setCustomMetadata(event.customMetadata);
  const readEvent = new ReadResp.ReadEvent();
  readEvent.setEvent(recorded);
  readEvent.setCommitPosition(event.position.toString());
  return new ReadResp().setEvent(readEvent);
}

export function streamNotFoundResponse(streamName: string): ReadResp {
  const notFound = new ReadResp.StreamNotFound();
  notFound.setStreamIdentifier(streamIdentifier(streamName));
  return new ReadResp().setStreamNotFound(notFound);
}

export function confirmationResponse(subscriptionId: string): ReadResp {
  const confirmation = new ReadResp.SubscriptionConfirmation();
  confirmation.setSubscriptionId(subscriptionId);
  return new ReadResp().setConfirmation(confirmation);
}

export function checkpointResponse(position: bigint): ReadResp {
  const checkpoint = new ReadResp.Checkpoint();
  checkpoint.setCommitPosition(position.toString());
  checkpoint.setPreparePosition(position.toString());
  return new ReadResp().setCheckpoint(checkpoint);
}

export function caughtUpResponse(): ReadResp {
  return new ReadResp().setCaughtUp(new ReadResp.CaughtUp());
}

/** Which events a filtered read or subscription keeps, and how often it reports a checkpoint. */
export interface EventFilter {
  readonly matches: (event: StoredEvent) => boolean;
  /** Events scanned between two checkpoints: search window × checkpoint interval multiplier. */
  readonly checkpointEvery: number;
}

/** The real server's default search window when the client asks for `count`. */
const DEFAULT_SEARCH_WINDOW = 32;

export function filterOf(options: ReadReq.Options): EventFilter | undefined {
  const filter = options.getFilter();
  if (!options.hasFilter() || !filter) return undefined;
  const onStreamName = filter.hasStreamIdentifier();
  const expression = onStreamName ? filter.getStreamIdentifier() : filter.getEventType();
  const prefixes = expression?.getPrefixList() ?? [];
  const regexText = expression?.getRegex() ?? '';
  const regex = regexText ? new RegExp(regexText) : undefined;
  const window = filter.hasMax() ? filter.getMax() : DEFAULT_SEARCH_WINDOW;
  return {
    matches: (event) => {
      const subject = onStreamName ? event.streamName : event.type;
      if (prefixes.length > 0 && !prefixes.some((prefix) => subject.startsWith(prefix))) return false;
      return regex ? regex.test(subject) : true;
    },
    checkpointEvery: Math.max(1, window * Math.max(1, filter.getCheckpointintervalmultiplier())),
  };
}
