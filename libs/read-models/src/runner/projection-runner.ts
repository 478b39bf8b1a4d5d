import { STREAM_PREFIX } from '@cmk/domain';
import { comparePositions, formatPosition, type AllSubscription, type EventStore, type Position, type SubscriptionItem } from '@cmk/eventstore';
import type { Redis } from 'ioredis';
import { toProjectedEvent, type ProjectedEvent } from '../codec/projected-event';
import { ProjectionWriter } from '../redis/projection-writer';
import { PositionWaiters } from './position-waiters';

/** Structured logger; Nest's `Logger` fits. */
export interface ProjectionLogger {
  log(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

export interface ProjectionRunnerOptions {
  readonly store: EventStore;
  readonly redis: Redis;
  /** Default: silent. */
  readonly logger?: ProjectionLogger;
  /** Flush once this many subscription items are buffered. Default 500. */
  readonly batchSize?: number;
  /** Flush at most this long after the first buffered item arrived. Default 20 ms. */
  readonly flushIntervalMs?: number;
  /** Key namespace incl. projection version. Default `rm:v1`. */
  readonly namespace?: string;
  /** First delay before resubscribing after an error; doubles up to `maxBackoffMs`. Default 100 ms. */
  readonly initialBackoffMs?: number;
  /** Default 5 000 ms. */
  readonly maxBackoffMs?: number;
  /**
   * Where failures that are outages of Redis or the event store go (the apps' dependency-health
   * service, one line per outage): `noticed` answers true when it took note of one, and the
   * runner logs nothing itself. Default: every failure is logged.
   */
  readonly outages?: { noticed(error: unknown, source: string): boolean };
}

const SILENT: ProjectionLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };
const TICK = Symbol('tick');

/** Handle on running projections. */
export interface ProjectionRunner {
  /** The last position written to Redis by this runner or found there; undefined before any. */
  position(): Position | undefined;
  /** Resolves true once the read models include `position`, false after `timeoutMs` (default 5 000). */
  waitForPosition(position: Position, timeoutMs?: number): Promise<boolean>;
  /** Stops the subscription, writes what is buffered, and resolves when the loop has ended. */
  stop(): Promise<void>;
}

/**
 * Runs the key list, banner and data-key index projections: a catch-up subscription on the
 * keyring and data-key streams from the stored checkpoint, applied to Redis in small batches.
 * Safe to run in several replicas at once (the writer's compare-and-set makes the slower one a
 * no-op). On any error it drops its buffer, waits with backoff, and resubscribes from whatever
 * checkpoint Redis holds, so a Redis restart or an event store hiccup only delays it.
 */
export function startProjections(options: ProjectionRunnerOptions): ProjectionRunner {
  const runner = new Runner(options);
  runner.start();
  return runner;
}

class Runner implements ProjectionRunner {
  private readonly writer: ProjectionWriter;
  private readonly logger: ProjectionLogger;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly waiters = new PositionWaiters();
  private stopped = false;
  private subscription: AllSubscription | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly options: ProjectionRunnerOptions) {
    this.writer = new ProjectionWriter(options.redis, options.namespace);
    this.logger = options.logger ?? SILENT;
    this.batchSize = options.batchSize ?? 500;
    this.flushIntervalMs = options.flushIntervalMs ?? 20;
  }

  start(): void {
    this.loop = this.run();
  }

  position(): Position | undefined {
    return this.waiters.current();
  }

  waitForPosition(position: Position, timeoutMs = 5000): Promise<boolean> {
    return this.waiters.wait(position, timeoutMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.subscription?.unsubscribe();
    await this.loop;
    this.waiters.clear();
  }

  private async run(): Promise<void> {
    const { initialBackoffMs = 100, maxBackoffMs = 5000 } = this.options;
    let backoff = initialBackoffMs;
    while (!this.stopped) {
      try {
        const from = await this.writer.readCheckpoint();
        if (from) this.waiters.advance(from);
        this.logger.log('projections subscribing', { from: from ? formatPosition(from) : 'start' });
        const subscription = this.options.store.subscribeToAll({
          fromPosition: from ?? 'start',
          // Every stream the service writes, not only the projected key-ring and data-key ones:
          // the checkpoint then follows the whole log, so "caught up with the head" (finalize,
          // shredding, read-your-writes) holds whatever category the last event belongs to. A
          // filtered subscription only reports how far it scanned now and then, so a log ending
          // in audit-chain or org events would otherwise never look caught up.
          filter: { streamNamePrefixes: Object.values(STREAM_PREFIX) },
        });
        this.subscription = subscription;
        if (this.stopped) await subscription.unsubscribe();
        await this.consume(subscription, () => (backoff = initialBackoffMs));
        if (!this.stopped) this.logger.warn('projection subscription ended; resubscribing');
      } catch (error) {
        if (this.stopped) break;
        if (!this.options.outages?.noticed(error, 'projections')) this.logger.error('projections failed; resubscribing', { error: error instanceof Error ? error.message : String(error), backoffMs: backoff });
      } finally {
        await this.subscription?.unsubscribe().catch(() => undefined);
        this.subscription = undefined;
      }
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, maxBackoffMs);
    }
  }

  /** Buffers what arrives together and flushes on size, on age, and when the stream ends. */
  private async consume(subscription: AllSubscription, onProgress: () => void): Promise<void> {
    const iterator = subscription[Symbol.asyncIterator]();
    let buffer: SubscriptionItem[] = [];
    let firstAt = 0;
    let pending: Promise<IteratorResult<SubscriptionItem>> | undefined;
    const flush = async (): Promise<void> => {
      const items = buffer;
      buffer = [];
      if (items.length > 0) await this.flush(items);
      onProgress();
    };
    for (;;) {
      if (!pending) {
        pending = iterator.next();
        // Marks a rejection seen while a flush is in progress as handled; the await below rethrows it.
        pending.catch(() => undefined);
      }
      const next = buffer.length === 0 ? await pending : await this.raceTimer(pending, firstAt + this.flushIntervalMs - Date.now());
      if (next === TICK) {
        await flush();
        continue;
      }
      pending = undefined;
      if (next.done) break;
      if (buffer.length === 0) firstAt = Date.now();
      buffer.push(next.value);
      // Reaching the live end is when a reader is most likely waiting: do not hold it back.
      if (buffer.length >= this.batchSize || next.value.kind === 'caught-up') await flush();
    }
    await flush();
  }

  private async flush(items: readonly SubscriptionItem[]): Promise<void> {
    const events: ProjectedEvent[] = [];
    let upTo: Position | undefined;
    for (const item of items) {
      const position = item.kind === 'event' ? item.event.position : item.position;
      if (!upTo || comparePositions(position, upTo) > 0) upTo = position;
      if (item.kind !== 'event') continue;
      try {
        const projected = toProjectedEvent(item.event);
        if (projected) events.push(projected);
      } catch (error) {
        // A malformed event is a data defect no retry fixes; stalling every org's read model on
        // it would be worse than skipping it loudly.
        this.logger.error('skipping an event the read models cannot decode', {
          streamId: item.event.streamId,
          eventId: item.event.id,
          position: formatPosition(item.event.position),
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    if (!upTo) return;
    const result = await this.writer.applyBatch(events, upTo);
    this.waiters.advance(result.checkpoint);
  }

  private raceTimer<T>(promise: Promise<T>, delayMs: number): Promise<T | typeof TICK> {
    let timer: NodeJS.Timeout | undefined;
    const tick = new Promise<typeof TICK>((resolve) => (timer = setTimeout(() => resolve(TICK), Math.max(0, delayMs))));
    return Promise.race([promise, tick]).finally(() => clearTimeout(timer));
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
