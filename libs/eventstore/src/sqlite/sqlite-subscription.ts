import type { AllSubscription, SubscriptionItem } from '@cmk/eventstore/port';
import { positionOf, toRecordedEvent, type EventRow } from './sqlite-rows';

/** A page of a subscription: the rows it wants, and how far the log was read to find them. */
export interface SubscriptionPage {
  /** Up to `limit` rows the subscription's filter wants, in `seq` order. */
  readonly rows: readonly EventRow[];
  /**
   * The last `seq` this page covers (every row up to it that the filter wants is in `rows`, or in
   * an earlier page); `undefined` when the log has nothing after `after`.
   */
  readonly scannedTo: bigint | undefined;
}

/** What a subscription needs from the store; kept narrow so the loop is easy to reason about. */
export interface SubscriptionSource {
  /** The next page after `seq` `after`, filtered by the store (SQL), so unwanted rows are never built. */
  readPage(after: bigint, limit: number): SubscriptionPage;
  /** Registers a callback for appends made through this process's store; returns the unregister. */
  onLocalAppend(listener: () => void): () => void;
}

export interface SubscriptionSettings {
  /** Exclusive: the first row delivered has `seq > from`. */
  readonly from: bigint;
  readonly pageSize: number;
  readonly pollIntervalMs: number;
}

/**
 * A catch-up subscription over the `events` table. Pages are read only when the consumer pulls
 * past the previous one (back-pressure comes from the async generator). Live, it polls the file
 * every `pollIntervalMs` (other processes' appends) and wakes at once on local appends.
 *
 * Filtering happens in the store's query (see `SubscriptionSource.readPage`): rows the filter
 * does not want are skipped by SQLite and never become JavaScript objects.
 *
 * Checkpoints: after every page that covered rows the filter did not want, a `checkpoint` at the
 * page's last `seq` follows that page's events, so a consumer that stores it never skips an event.
 */
export class SqliteAllSubscription implements AllSubscription {
  private closed = false;
  private appendedSinceRead = true;
  private wake: (() => void) | undefined;
  private readonly items: AsyncGenerator<SubscriptionItem>;

  constructor(
    private readonly source: SubscriptionSource,
    private readonly settings: SubscriptionSettings,
    private readonly onEnd: (subscription: SqliteAllSubscription) => void,
  ) {
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
    const stopListening = this.source.onLocalAppend(() => {
      this.appendedSinceRead = true;
      this.wake?.();
    });
    try {
      let cursor = this.settings.from;
      let caughtUp = false;
      while (!this.closed) {
        this.appendedSinceRead = false;
        const { rows, scannedTo } = this.source.readPage(cursor, this.settings.pageSize);
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
        for (const row of rows) {
          if (this.closed) return;
          yield { kind: 'event', event: toRecordedEvent(row) };
        }
        const filteredOut = rows.length === 0 || rows[rows.length - 1].seq !== scannedTo;
        if (filteredOut && !this.closed) yield { kind: 'checkpoint', position: positionOf(cursor) };
      }
    } finally {
      stopListening();
      this.onEnd(this);
    }
  }

  /** Resolves on the next poll tick, a local append, or `unsubscribe()`, whichever comes first. */
  private idle(): Promise<void> {
    if (this.appendedSinceRead || this.closed) return Promise.resolve();
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
