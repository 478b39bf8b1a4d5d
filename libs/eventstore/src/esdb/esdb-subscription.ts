import {
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  NotLeaderError,
  streamNameFilter,
  TimeoutError,
  UnavailableError,
  UnknownError,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type EventStoreDBClient,
} from '@eventstore/db-client';
import { type AllSubscription, type SubscribeToAllOptions, type SubscriptionItem, comparePositions, START_POSITION, type Position } from '@cmk/eventstore/port';
import { isSystemStream, toClientPosition, toRecordedEvent } from './esdb-mapping';
import { ItemQueue } from './item-queue';

export interface EsdbSubscriptionSettings {
  /** Delay before the first resubscribe after a drop; doubles per failed attempt. Default 100 ms. */
  readonly initialRetryDelayMs?: number;
  /** Upper bound of the resubscribe delay. Default 5 000 ms. */
  readonly maxRetryDelayMs?: number;
  /** Items buffered for a slow consumer before the server stream is paused. Default 1 000. */
  readonly highWaterMark?: number;
  /** Told about every drop the subscription recovers from (for logs and metrics). Default: none. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** The server ended a subscription without an error: treated like a drop. */
class SubscriptionEndedError extends Error {
  override readonly name = 'SubscriptionEndedError';
}

/** Failures a resubscribe can cure; anything else (access denied, undecodable event) ends the iteration. */
function isTransient(error: unknown): boolean {
  return [UnavailableError, CancelledError, DeadlineExceededError, TimeoutError, NotLeaderError, UnknownError, SubscriptionEndedError].some(
    (type) => error instanceof type,
  );
}

/** Matches every stream except system streams, so unfiltered subscriptions also get checkpoints. */
const NON_SYSTEM_STREAMS = '^[^$]';

type Marker = { readonly kind: 'checkpoint'; readonly position: Position } | { readonly kind: 'caught-up' };

/**
 * A `$all` catch-up subscription that survives drops: it remembers the position of the last item
 * it queued (event or checkpoint) and, after a drop, resubscribes from there (exclusive) with
 * backoff, so the consumer sees no gap and no duplicate. `caught-up` is yielded once, from the
 * server's message or, for servers that never send it, when the subscription reaches the head of
 * `$all` read just before subscribing.
 */
export class EsdbAllSubscription implements AllSubscription {
  private readonly queue = new ItemQueue<SubscriptionItem>();
  private resumeFrom: Position | 'start' | 'end';
  private lastPosition: Position | undefined;
  private caughtUp = false;
  private stopped = false;
  private current: AllStreamSubscription | undefined;
  private interrupt: (() => void) | undefined;
  private readonly running: Promise<void>;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: SubscribeToAllOptions,
    private readonly settings: EsdbSubscriptionSettings = {},
    private readonly onStopped: () => void = () => undefined,
  ) {
    this.resumeFrom = options.fromPosition;
    this.running = this.run();
  }

  [Symbol.asyncIterator](): AsyncIterator<SubscriptionItem> {
    return {
      next: () => this.queue.next(),
      return: async () => {
        await this.unsubscribe();
        return { value: undefined, done: true };
      },
    };
  }

  async unsubscribe(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.onStopped();
      this.queue.close();
      this.interrupt?.();
      const current = this.current;
      this.current = undefined;
      await current?.unsubscribe().catch(() => undefined);
    }
    await this.running;
  }

  private async run(): Promise<void> {
    const initial = this.settings.initialRetryDelayMs ?? 100;
    const max = this.settings.maxRetryDelayMs ?? 5_000;
    let attempt = 0;
    while (!this.stopped) {
      let failure: unknown = new SubscriptionEndedError('The server ended the subscription');
      try {
        await this.follow(() => (attempt = 0));
      } catch (error) {
        failure = error;
      }
      if (this.stopped) return;
      if (!isTransient(failure)) {
        this.onStopped();
        this.queue.fail(failure);
        return;
      }
      attempt += 1;
      const delay = Math.min(max, initial * 2 ** (attempt - 1));
      this.settings.onRetry?.(failure, attempt, delay);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.interrupt = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.interrupt = undefined;
    }
  }

  /** The last position in `$all`, system events included; `undefined` when the log is empty. */
  private async rawHead(): Promise<Position | undefined> {
    let head: Position | undefined;
    // Drained to the end rather than left early: an abandoned read keeps its gRPC call open and
    // the client's dispose() would wait for it forever.
    for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) {
      head = resolved.event?.position;
    }
    return head;
  }

  /** One server subscription, from `resumeFrom` until it drops (rejects) or we stop (resolves). */
  private async follow(onConfirmed: () => void): Promise<void> {
    const head = await this.rawHead();
    if (this.stopped) return;
    if (this.resumeFrom === 'end') this.resumeFrom = head ?? 'start';
    const from = this.resumeFrom;
    const pastHead = (position: Position) => head === undefined || comparePositions(position, head) >= 0;
    const prefixes = this.options.filter?.streamNamePrefixes ?? [];

    await new Promise<void>((resolve, reject) => {
      // Markers (checkpoints, caught-up) reported while earlier events still sit in the client's
      // buffer wait until those events are queued, so no checkpoint overtakes an event.
      const pending: Array<{ remaining: number; marker: Marker }> = [];
      let settled = false;
      const settle = (error?: unknown) => {
        if (settled) return;
        settled = true;
        this.interrupt = undefined;
        if (this.current === subscription) this.current = undefined;
        if (error === undefined) resolve();
        else reject(error);
      };
      const mark = (marker: Marker) => {
        if (settled) return;
        const buffered = subscription.readableLength;
        if (buffered === 0) this.queueMarker(marker, pastHead);
        else pending.push({ remaining: buffered, marker });
      };

      const checkpointReached = (_s: unknown, position: Position) =>
        mark({ kind: 'checkpoint', position: { commit: position.commit, prepare: position.prepare } });
      const subscription = this.client.subscribeToAll({
        fromPosition: toClientPosition(from),
        filter:
          prefixes.length > 0
            ? streamNameFilter({ prefixes: [...prefixes], checkpointReached })
            : streamNameFilter({ regex: NON_SYSTEM_STREAMS, checkpointReached }),
      });
      this.current = subscription;
      this.interrupt = () => settle();

      subscription.on('confirmation', () => {
        onConfirmed();
        if (from === 'start' ? head === undefined : pastHead(from)) mark({ kind: 'caught-up' });
      });
      subscription.on('caughtUp', () => mark({ kind: 'caught-up' }));
      subscription.on('data', (resolved: AllStreamResolvedEvent) => {
        if (settled) return;
        try {
          this.queueEvent(resolved, pastHead);
        } catch (error) {
          void subscription.unsubscribe();
          settle(error);
          return;
        }
        for (const entry of pending) entry.remaining -= 1;
        for (let due = pending[0]; due && due.remaining <= 0; due = pending[0]) {
          pending.shift();
          this.queueMarker(due.marker, pastHead);
        }
        this.applyBackpressure(subscription);
      });
      subscription.on('error', (error) => settle(error));
      subscription.on('end', () => settle(this.stopped ? undefined : new SubscriptionEndedError('The server ended the subscription')));
      subscription.on('close', () => settle(this.stopped ? undefined : new SubscriptionEndedError('The subscription closed')));
    });
  }

  private applyBackpressure(subscription: AllStreamSubscription): void {
    const high = this.settings.highWaterMark ?? 1_000;
    if (this.queue.size < high || subscription.isPaused()) return;
    subscription.pause();
    this.queue.whenBelow(Math.floor(high / 2), () => subscription.resume());
  }

  private queueEvent(resolved: AllStreamResolvedEvent, pastHead: (p: Position) => boolean): void {
    const raw = resolved.event;
    if (!raw) return;
    if (!isSystemStream(raw.streamId)) this.queue.push({ kind: 'event', event: toRecordedEvent(resolved) });
    this.advance(raw.position, pastHead);
  }

  private queueMarker(marker: Marker, pastHead: (p: Position) => boolean): void {
    if (marker.kind === 'caught-up') return this.queueCaughtUp();
    if (this.lastPosition && comparePositions(marker.position, this.lastPosition) < 0) return;
    this.queue.push({ kind: 'checkpoint', position: marker.position });
    this.advance(marker.position, pastHead);
  }

  private advance(position: Position, pastHead: (p: Position) => boolean): void {
    this.lastPosition = { commit: position.commit, prepare: position.prepare };
    this.resumeFrom = this.lastPosition;
    if (pastHead(position)) this.queueCaughtUp();
  }

  private queueCaughtUp(): void {
    if (this.caughtUp) return;
    this.caughtUp = true;
    const from = this.resumeFrom;
    this.queue.push({ kind: 'caught-up', position: this.lastPosition ?? (typeof from === 'object' ? from : START_POSITION) });
  }
}
