import type { AllSubscription, SubscriptionItem } from '@cmk/eventstore/port';
import { positionOf, toRecordedEvent, type EventRow } from './sqlite-rows';

/** What a subscription needs from the store; kept narrow so the loop is easy to reason about. */
export interface SubscriptionSource {
  /** Up to `limit` rows with `seq > after`, in `seq` order. */
  readPage(after: bigint, limit: number): EventRow[];
  /** Registers a callback for appends made through this process's store; returns the unregister. */
  onLocalAppend(listener: () => void): () => void;
}

export interface SubscriptionSettings {
  /** Exclusive: the first row delivered has `seq > from`. */
  readonly from: bigint;
  readonly prefixes: readonly string[] | undefined;
  readonly pageSize: number;
  readonly pollIntervalMs: number;
}

/**
 * A catch-up subscription over the `events` table. Pages are read only when the consumer pulls
 * past the previous one (back-pressure comes from the async generator). Live, it polls the file
 * every `pollIntervalMs` (other processes' appends) and wakes at once on local appends.
 *
 * Checkpoints: after every page in which some rows were filtered out, a `checkpoint` at the
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

  private matches(row: EventRow): boolean {
    const prefixes = this.settings.prefixes;
    return prefixes === undefined || prefixes.some((prefix) => row.stream_id.startsWith(prefix));
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
        const rows = this.source.readPage(cursor, this.settings.pageSize);
        if (rows.length === 0) {
          if (!caughtUp) {
            caughtUp = true;
            yield { kind: 'caught-up', position: positionOf(cursor) };
          } else {
            await this.idle();
          }
          continue;
        }
        cursor = rows[rows.length - 1].seq;
        let filteredOut = false;
        for (const row of rows) {
          if (this.closed) return;
          if (this.matches(row)) yield { kind: 'event', event: toRecordedEvent(row) };
          else filteredOut = true;
        }
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
