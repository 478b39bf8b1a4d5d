import type { AllSubscription, SubscriptionItem } from '@cmk/eventstore/port';
import type { RecordedEvent } from '@cmk/eventstore/port';
import { positionOf } from './pg-rows';

/** A page of a subscription: the events it wants, and how far the log was read to find them. */
export interface PgSubscriptionPage {
  /** Up to `limit` events the subscription's filter wants, in `seq` order. */
  readonly events: readonly RecordedEvent[];
  /**
   * The last `seq` the page covers (every wanted event up to it is in `events` or an earlier
   * page); `undefined` when the log has nothing after `after`.
   */
  readonly scannedTo: bigint | undefined;
  /** More of the log is there to read at once (a full page, or a scan cut short by its bound). */
  readonly more: boolean;
}

/** What a subscription needs from the store; kept narrow so the loop is easy to reason about. */
export interface PgSubscriptionSource {
  /** The next page after `seq` `after`, filtered by the server (retried on transient failures). */
  readPage(after: bigint, limit: number, prefixes: readonly string[] | undefined): Promise<PgSubscriptionPage>;
  /** Registers a callback for commits (NOTIFY, local appends, listener reconnects); returns the unregister. */
  onWake(listener: () => void): () => void;
}

export interface PgSubscriptionSettings {
  /** Exclusive: the first row delivered has `seq > from`. A promise when it is "the head now". */
  readonly from: Promise<bigint>;
  readonly prefixes: readonly string[] | undefined;
  readonly pageSize: number;
  /** Fallback polling period while live; wake-ups normally come from LISTEN/NOTIFY. */
  readonly pollIntervalMs: number;
  /**
   * Least time between two live reads. Every commit wakes every subscription (NOTIFY, and the
   * local wake for appends through the same object); under a stream of small commits this
   * gathers them into one read instead of one query per commit per subscription.
   */
  readonly minLiveReadIntervalMs: number;
}

/**
 * A catch-up subscription over `cmk_events`. Pages are read only when the consumer pulls past
 * the previous one (back-pressure comes from the async generator). Live, it waits for a wake-up
 * (a NOTIFY from any process's commit, an append through this store object, a listener
 * reconnect) or, as a fallback, the poll timer.
 *
 * `seq` order is commit order (the append lock), so reading `seq > cursor` never skips an event
 * that commits later. Filtering happens in the server's query (`PgSubscriptionSource.readPage`):
 * rows the filter does not want never reach the client. After every page that covered such
 * rows, a `checkpoint` at the last `seq` it covered follows that page's events.
 */
export class PgAllSubscription implements AllSubscription {
  private closed = false;
  private wokenSinceRead = true;
  private wake: (() => void) | undefined;
  private readonly items: AsyncGenerator<SubscriptionItem>;

  constructor(
    private readonly source: PgSubscriptionSource,
    private readonly settings: PgSubscriptionSettings,
    private readonly onEnd: (subscription: PgAllSubscription) => void,
  ) {
    // Settled here so an unconsumed rejection is not reported as unhandled; run() awaits it.
    settings.from.catch(() => undefined);
    this.items = this.run();
  }

  [Symbol.asyncIterator](): AsyncIterator<SubscriptionItem> {
    return this.items;
  }

  async unsubscribe(): Promise<void> {
    this.closed = true;
    this.wake?.();
    // A generator that never started would otherwise stay suspended at its start forever.
    await this.items.return(undefined);
    this.onEnd(this);
  }

  private async *run(): AsyncGenerator<SubscriptionItem> {
    const stopListening = this.source.onWake(() => {
      this.wokenSinceRead = true;
      this.wake?.();
    });
    try {
      let cursor = await this.settings.from;
      let caughtUp = false;
      let lastLiveRead = 0;
      let fullPage = false;
      while (!this.closed) {
        // A full page means a backlog: read on at once. At the head, gather commits first.
        if (caughtUp && !fullPage) {
          const wait = lastLiveRead + this.settings.minLiveReadIntervalMs - Date.now();
          if (wait > 0) await this.pause(wait);
          lastLiveRead = Date.now();
        }
        this.wokenSinceRead = false;
        const { events, scannedTo, more } = await this.source.readPage(cursor, this.settings.pageSize, this.settings.prefixes);
        if (this.closed) return;
        fullPage = more;
        if (scannedTo === undefined) {
          if (!caughtUp) {
            caughtUp = true;
            yield { kind: 'caught-up', position: positionOf(cursor) };
          } else {
            await this.idle();
          }
          continue;
        }
        cursor = scannedTo;
        for (const event of events) {
          if (this.closed) return;
          yield { kind: 'event', event };
        }
        // The page covered rows the filter did not want after its last event: say how far.
        const filteredOut = events.length === 0 || events[events.length - 1].position.commit !== scannedTo;
        if (filteredOut && !this.closed) yield { kind: 'checkpoint', position: positionOf(cursor) };
      }
    } finally {
      stopListening();
      this.onEnd(this);
    }
  }

  /** Waits `ms`, or less if `unsubscribe()` comes first. */
  private pause(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      // A wake-up during the pause must not end it early, only unsubscribe may (closed is set).
      this.wake = () => {
        if (this.closed) done();
      };
    });
  }

  /** Resolves on the next wake-up, the fallback poll, or `unsubscribe()`, whichever comes first. */
  private idle(): Promise<void> {
    if (this.wokenSinceRead || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.settings.pollIntervalMs);
      this.wake = done;
    });
  }
}
