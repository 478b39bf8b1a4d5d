import { status, type sendUnaryData, type ServerReadableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { ReadReq, type AppendReq, type AppendResp } from '@eventstore/db-client/generated/streams_pb';
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

/**
 * The `event_store.client.streams.Streams` methods the official client needs: Append and Read.
 * Delete, Tombstone and BatchAppend are left out, so grpc-js answers UNIMPLEMENTED for them.
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
          const outcome = log.append(streamNameOf(options.getStreamIdentifier()), expected, proposed);
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
  return { append, read: safeRead };
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
