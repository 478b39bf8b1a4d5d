import { createHash, randomUUID } from 'node:crypto';
import { ConcurrencyError, type EventStore, type Position, type RecordedEvent } from '@cmk/eventstore/port';
import type { Decider, EventCodec } from '@cmk/domain';
import { ApplicationError } from './application-error';
import { fold, stateOf } from './state-reader';

/** Decodes stored events at the edge and encodes new ones: each aggregate's codec in the domain. */
export type { EventCodec } from '@cmk/domain';

export interface CommandOptions {
  /**
   * A client-chosen key (the `Idempotency-Key` header). A command retried with the same key on
   * the same stream returns the first result instead of deciding again.
   */
  readonly idempotencyKey?: string;
  /**
   * What the client asked for (see {@link requestFingerprint}), recorded beside the idempotency
   * key. An idempotency key belongs to the first request that used it on a stream: a retry with
   * the same key and the same fingerprint replays the first result; the same key with another
   * command or other parameters is refused with `IDEMPOTENCY_KEY_REUSED` (422) rather than
   * answered with the first command's result. Default: the command's `type`. Keys are scoped
   * to one stream, so two organisations (or an org and its key ring) never share them.
   */
  readonly fingerprint?: string;
  /** How many times a command is re-decided after losing a race for the stream. Default 5. */
  readonly maxAttempts?: number;
  /**
   * The stream as the caller has just read it, used for the first attempt instead of reading it
   * again (a hot path that already read the stream to decide whether to act saves one read).
   * A stale read costs nothing but a retry: the append's expected revision catches it and the
   * next attempt reads the stream afresh. Default: read the stream.
   */
  readonly recorded?: readonly RecordedEvent[];
}

export interface CommandResult<S, E> {
  /** The events this command appended (or had appended, for an idempotent retry). */
  readonly events: E[];
  readonly state: S;
  /** Position of the last appended event; `undefined` when the command appended nothing. */
  readonly position: Position | undefined;
  /** True when the result was replayed from an earlier request with the same idempotency key. */
  readonly replayed: boolean;
}

const IDEMPOTENCY_FIELD = 'idempotencyKey';
const FINGERPRINT_FIELD = 'idempotencyFingerprint';

/** The events an earlier request with this idempotency key appended (empty when none did). */
export function eventsOfIdempotencyKey(recorded: readonly RecordedEvent[], idempotencyKey: string): RecordedEvent[] {
  return recorded.filter((e) => e.metadata[IDEMPOTENCY_FIELD] === idempotencyKey);
}

/**
 * A stable fingerprint of a request: its command type and the parameters the client chose
 * (never ids or times the server generates, which differ on every retry).
 */
export function requestFingerprint(type: string, parameters: Readonly<Record<string, string | number | boolean | undefined>> = {}): string {
  const entries = Object.keys(parameters)
    .sort()
    .map((name) => [name, parameters[name] ?? null]);
  return `${type}:${createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 32)}`;
}

function defaultFingerprint(command: unknown): string | undefined {
  const type = typeof command === 'object' && command !== null ? (command as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? requestFingerprint(type) : undefined;
}

function idempotencyKeyReused(idempotencyKey: string): ApplicationError {
  return new ApplicationError(
    'IDEMPOTENCY_KEY_REUSED',
    422,
    'This Idempotency-Key was already used for a different request on this resource; send a new key for a new request',
    { idempotencyKey },
  );
}

/** Event ids derived from the idempotency key, so even a lost response can be retried safely. */
function eventId(streamName: string, seed: string, index: number): string {
  const hex = createHash('sha256').update(`${streamName}\n${seed}\n${index}`).digest('hex');
  // Shape it as an RFC 4122 version-5-style UUID (the store expects UUIDs).
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The one command path: read the stream, fold it, decide, append with the revision read.
 * Losing a race (the store's `ConcurrencyError`, and only that) re-reads and decides again, so
 * the rules are always checked against the state the events land on. Any other failure
 * propagates unchanged: an outage never looks like a conflict.
 */
export async function handleCommand<C, S, E>(
  store: EventStore,
  streamName: string,
  decider: Decider<C, E, S>,
  codec: EventCodec<E>,
  command: C,
  options: CommandOptions = {},
): Promise<CommandResult<S, E>> {
  const maxAttempts = options.maxAttempts ?? 5;
  // Only recorded beside an idempotency key: without one (the system's own commands, the
  // re-encryption hot path) no fingerprint is computed.
  const fingerprint = options.idempotencyKey === undefined ? undefined : (options.fingerprint ?? defaultFingerprint(command));
  for (let attempt = 1; ; attempt++) {
    const recorded = attempt === 1 && options.recorded !== undefined ? [...options.recorded] : await store.readStream(streamName);
    if (options.idempotencyKey !== undefined) {
      const prior = eventsOfIdempotencyKey(recorded, options.idempotencyKey);
      if (prior.length > 0) {
        // Events recorded before fingerprints existed carry none: they replay as they always did.
        const recordedFingerprint = prior[0].metadata[FINGERPRINT_FIELD];
        if (typeof recordedFingerprint === 'string' && recordedFingerprint !== fingerprint) throw idempotencyKeyReused(options.idempotencyKey);
        return replay(recorded, prior, decider, codec);
      }
    }
    const { state, revision: expectedRevision } = stateOf(recorded, decider, codec);
    const events = decider.decide(command, state);
    if (events.length === 0) return { events, state, position: undefined, replayed: false };
    const seed = options.idempotencyKey ?? `${recorded.length}:${randomUUID()}`;
    try {
      const result = await store.appendToStream(
        streamName,
        events.map((event, index) => {
          const encoded = codec.encode(event);
          const metadata =
            options.idempotencyKey === undefined
              ? encoded.metadata
              : { ...encoded.metadata, [IDEMPOTENCY_FIELD]: options.idempotencyKey, ...(fingerprint === undefined ? {} : { [FINGERPRINT_FIELD]: fingerprint }) };
          return { id: eventId(streamName, seed, index), type: encoded.type, data: encoded.data, metadata };
        }),
        { expectedRevision },
      );
      const next = events.reduce(decider.evolve, state);
      return { events, state: next, position: result.position, replayed: false };
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= maxAttempts) throw error;
    }
  }
}

function replay<C, S, E>(recorded: RecordedEvent[], prior: RecordedEvent[], decider: Decider<C, E, S>, codec: EventCodec<E>): CommandResult<S, E> {
  const last = prior[prior.length - 1];
  const upTo = recorded.filter((e) => e.revision <= last.revision);
  return { events: prior.map((e) => codec.decode(e)), state: fold(upTo, decider, codec), position: last.position, replayed: true };
}
