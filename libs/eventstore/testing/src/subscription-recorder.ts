import { type AllSubscription, type RecordedEvent, type SubscriptionItem, comparePositions, type Position } from '@cmk/eventstore';
import { waitFor } from '@cmk/testing';

/**
 * Drains a subscription in the background and keeps every item, so a test can wait for a
 * condition on what arrived (never for a fixed time) and then assert on order and duplicates.
 */
export class SubscriptionRecorder {
  readonly items: SubscriptionItem[] = [];
  private finished = false;
  private failure: unknown;
  private readonly loop: Promise<void>;

  constructor(readonly subscription: AllSubscription) {
    this.loop = this.drain();
  }

  private async drain(): Promise<void> {
    try {
      for await (const item of this.subscription) this.items.push(item);
    } catch (error) {
      this.failure = error;
    } finally {
      this.finished = true;
    }
  }

  get events(): RecordedEvent[] {
    return this.items.flatMap((item) => (item.kind === 'event' ? [item.event] : []));
  }

  /** Positions of `checkpoint` items, in arrival order. */
  get checkpoints(): Position[] {
    return this.items.flatMap((item) => (item.kind === 'checkpoint' ? [item.position] : []));
  }

  get caughtUpCount(): number {
    return this.items.filter((item) => item.kind === 'caught-up').length;
  }

  /** True once the iteration has ended (after `unsubscribe()` or an error). */
  get ended(): boolean {
    return this.finished;
  }

  /** Events whose stream name starts with `prefix`. */
  eventsUnder(prefix: string): RecordedEvent[] {
    return this.events.filter((event) => event.streamId.startsWith(prefix));
  }

  async waitForCaughtUp(timeoutMs = 15_000): Promise<void> {
    await this.waitUntil(() => this.caughtUpCount > 0, 'caught-up', timeoutMs);
  }

  async waitForEventsUnder(prefix: string, count: number, timeoutMs = 15_000): Promise<RecordedEvent[]> {
    await this.waitUntil(() => this.eventsUnder(prefix).length >= count, `${count} events under ${prefix}`, timeoutMs);
    return this.eventsUnder(prefix);
  }

  /** Waits for a checkpoint (or caught-up) item at or after `position`. */
  async waitForCheckpointAtLeast(position: Position, timeoutMs = 15_000): Promise<void> {
    await this.waitUntil(
      () =>
        this.items.some(
          (item) => (item.kind === 'checkpoint' || item.kind === 'caught-up') && comparePositions(item.position, position) >= 0,
        ),
      'checkpoint',
      timeoutMs,
    );
  }

  async waitUntil(condition: () => boolean, description: string, timeoutMs = 15_000): Promise<void> {
    await waitFor(
      () => {
        if (this.failure !== undefined) throw this.failure;
        return condition();
      },
      { timeoutMs, description },
    ).catch((error: unknown) => {
      // Surface the subscription's own failure rather than a bare timeout.
      throw this.failure ?? error;
    });
  }

  /** Unsubscribes and waits for the background loop to end; rethrows a subscription failure. */
  async stop(): Promise<void> {
    await this.subscription.unsubscribe();
    await this.loop;
    if (this.failure !== undefined) throw this.failure;
  }
}
