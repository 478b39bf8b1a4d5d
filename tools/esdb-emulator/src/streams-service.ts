import { Metadata, status, type sendUnaryData, type ServerReadableStream, type ServerUnaryCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { ReadReq, TombstoneResp, type AppendReq, type AppendResp, type TombstoneReq } from '@eventstore/db-client/generated/streams_pb';
import { AllStreamPosition } from '@eventstore/db-client/generated/shared_pb';
import type { Faults } from './faults';
import type { InMemoryLog, ProposedEvent, StoredEvent } from './log';
import {
  appendResponse,
  eventResponse,
  expectedStateOf,
  filterOf,
  proposedEventOf,
  streamNameOf,
  streamNotFoundResponse,
} from './protocol';
import type { ReadCall, Subscriptions } from './subscription';
import { writeRespectingBackpressure } from './write';

type AppendCall = ServerReadableStream<AppendReq, AppendResp>;

function statusError(code: status, details: string): Error & { code: status; details: string } {
  return Object.assign(new Error(details), { code, details });
}

/** The server's "stream deleted" answer: the client reads `exception` and `stream-name` from the metadata. */
function streamDeletedError(streamName: string) {
  const metadata = new Metadata();
  metadata.set('exception', 'stream-deleted');
  metadata.set('stream-name', streamName);
  return Object.assign(statusError(status.FAILED_PRECONDITION, `Event stream '${streamName}' is deleted.`), { metadata });
}

/**
 * The `event_store.client.streams.Streams` methods the official client needs: Append and Read.
 * Tombstone (hard delete; see `InMemoryLog.scavenge`) is served too. Delete (soft) and
 * BatchAppend are left out, so grpc-js answers UNIMPLEMENTED for them.
 */
export function streamsService(log: InMemoryLog, subscriptions: Subscriptions, faults: Faults): UntypedServiceImplementation {
  async function admit(): Promise<status | undefined> {
    const failure = faults.takeFailure();
    if (failure !== undefined) return failure;
    await faults.delay();
    return undefined;
  }

  function append(call: AppendCall, callback: sendUnaryData<AppendResp>): void {
    let options: AppendReq.Options | undefined;
    const proposed: ProposedEvent[] = [];
    let failed = false;
    const fail = (code: status, details: string) => {
      if (failed) return;
      failed = true;
      callback(statusError(code, details));
    };
    const admitted = admit();
    call.on('data', (request: AppendReq) => {
      const header = request.getOptions();
      const message = request.getProposedMessage();
      if (header) options = header;
      else if (message) proposed.push(proposedEventOf(message));
    });
    call.on('error', () => undefined);
    call.on('end', () => {
      void admitted.then((failure) => {
        if (failure !== undefined) return fail(failure, 'Injected failure (esdb-emulator)');
        if (!options) return fail(status.INVALID_ARGUMENT, 'Append without options');
        try {
          const expected = expectedStateOf(options);
          const name = streamNameOf(options.getStreamIdentifier());
          if (log.isTombstoned(name)) return callback(streamDeletedError(name));
          const outcome = log.append(name, expected, proposed);
          callback(null, appendResponse(outcome, expected));
        } catch (error) {
          fail(status.INVALID_ARGUMENT, error instanceof Error ? error.message : String(error));
        }
      });
    });
  }

  async function read(call: ReadCall): Promise<void> {
    const failure = await admit();
    if (failure !== undefined) {
      call.emit('error', statusError(failure, 'Injected failure (esdb-emulator)'));
      return;
    }
    const options = call.request.getOptions();
    if (!options) {
      call.emit('error', statusError(status.INVALID_ARGUMENT, 'Read without options'));
      return;
    }
    if (options.hasSubscription()) {
      subscriptions.start(call, options);
      return;
    }
    const structured = options.getUuidOption()?.hasStructured() ?? false;
    const count = options.hasCount() ? BigInt(options.getCount()) : BigInt(Number.MAX_SAFE_INTEGER);
    const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
    const streamOptions = options.getStream();
    if (streamOptions) {
      const streamName = streamNameOf(streamOptions.getStreamIdentifier());
      if (log.isTombstoned(streamName)) {
        call.emit('error', streamDeletedError(streamName));
        return;
      }
      const stream = log.stream(streamName);
      if (!stream) {
        await writeRespectingBackpressure(call, streamNotFoundResponse(streamName));
      } else {
        for (const event of take(streamEvents(stream, streamOptions, backwards), count)) {
          await writeRespectingBackpressure(call, eventResponse(event, structured));
        }
      }
    } else {
      const filter = filterOf(options);
      const events = allEvents(log, options.getAll(), backwards);
      const kept = filter ? filterIterable(events, filter.matches) : events;
      for (const event of take(kept, count)) {
        await writeRespectingBackpressure(call, eventResponse(event, structured));
      }
    }
    call.end();
  }

  // A malformed request ends its own call; it must never become an unhandled rejection.
  const safeRead = (call: ReadCall) =>
    void read(call).catch((error: unknown) =>
      call.emit('error', statusError(status.INVALID_ARGUMENT, error instanceof Error ? error.message : String(error))),
    );
  function tombstone(call: ServerUnaryCall<TombstoneReq, TombstoneResp>, callback: sendUnaryData<TombstoneResp>): void {
    void admit().then((failure) => {
      if (failure !== undefined) return callback(statusError(failure, 'Injected failure (esdb-emulator)'));
      const options = call.request.getOptions();
      if (!options) return callback(statusError(status.INVALID_ARGUMENT, 'Tombstone without options'));
      const name = streamNameOf(options.getStreamIdentifier());
      if (log.isTombstoned(name)) return callback(streamDeletedError(name));
      // TombstoneReq.Options carries the same expected-revision oneof (same case numbers) as AppendReq.Options.
      const outcome = log.tombstone(name, expectedStateOf(options as unknown as AppendReq.Options));
      if (outcome.kind !== 'success') return callback(statusError(status.FAILED_PRECONDITION, 'Wrong expected version'));
      const position = new AllStreamPosition();
      position.setCommitPosition(outcome.position.toString());
      position.setPreparePosition(outcome.position.toString());
      callback(null, new TombstoneResp().setPosition(position));
    });
  }

  return { append, read: safeRead, tombstone };
}

function* streamEvents(stream: readonly StoredEvent[], options: ReadReq.Options.StreamOptions, backwards: boolean): Iterable<StoredEvent> {
  const last = stream.length - 1;
  let from: number;
  if (options.hasRevision()) from = Number(BigInt(options.getRevision()));
  else if (options.hasEnd()) from = backwards ? last : stream.length;
  else from = backwards ? -1 : 0;
  if (backwards) for (let i = Math.min(from, last); i >= 0; i--) yield stream[i];
  else for (let i = from; i <= last; i++) yield stream[i];
}

/** Forwards reads include the event at the given position; backwards reads start before it. */
function* allEvents(log: InMemoryLog, options: ReadReq.Options.AllOptions | undefined, backwards: boolean): Iterable<StoredEvent> {
  const position = options?.getPosition();
  let from: number;
  if (position) from = log.firstIndexAtOrAfter(BigInt(position.getCommitPosition())) - (backwards ? 1 : 0);
  else if (options?.hasEnd()) from = backwards ? log.length - 1 : log.length;
  else from = backwards ? -1 : 0;
  const step = backwards ? -1 : 1;
  for (let i = from; i >= 0 && i < log.length; i += step) {
    const event = log.at(i);
    if (event) yield event;
  }
}

function* filterIterable<T>(items: Iterable<T>, keep: (item: T) => boolean): Iterable<T> {
  for (const item of items) if (keep(item)) yield item;
}

function* take<T>(items: Iterable<T>, count: bigint): Iterable<T> {
  if (count <= 0n) return;
  let taken = 0n;
  for (const item of items) {
    yield item;
    if (++taken >= count) return;
  }
}
