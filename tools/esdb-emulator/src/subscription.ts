import { randomUUID } from 'node:crypto';
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import type { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import type { InMemoryLog } from './log';
import {
  caughtUpResponse,
  checkpointResponse,
  confirmationResponse,
  eventResponse,
  filterOf,
  type EventFilter,
} from './protocol';
import { writeRespectingBackpressure } from './write';

export type ReadCall = ServerWritableStream<ReadReq, ReadResp>;

/**
 * One `$all` subscription: a cursor into the log that first catches up, then follows appends.
 * The cursor is an index into the log, so switching from catch-up to live cannot lose or repeat
 * an event whatever arrives in between.
 */
class AllSubscription {
  private nextIndex: number;
  private scannedSinceCheckpoint = 0;
  private lastScanned: bigint | undefined;
  private caughtUp = false;
  private pumping = false;
  private closed = false;
  private readonly filter: EventFilter | undefined;
  private readonly structuredIds: boolean;
  private stopFollowing: () => void = () => undefined;

  constructor(
    private readonly log: InMemoryLog,
    private readonly call: ReadCall,
    options: ReadReq.Options,
    private readonly onClosed: (subscription: AllSubscription) => void,
    private readonly sendCaughtUp: boolean,
  ) {
    this.filter = filterOf(options);
    this.structuredIds = options.getUuidOption()?.hasStructured() ?? false;
    this.nextIndex = this.startIndex(options.getAll());
  }

  private startIndex(all: ReadReq.Options.AllOptions | undefined): number {
    const position = all?.getPosition();
    if (position) return this.log.firstIndexAtOrAfter(BigInt(position.getCommitPosition()) + 1n);
    if (all?.hasEnd()) return this.log.length;
    return 0;
  }

  start(): void {
    this.call.on('cancelled', () => this.close());
    this.call.on('close', () => this.close());
    this.call.write(confirmationResponse(randomUUID()));
    this.stopFollowing = this.log.onAppend(() => void this.pump());
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      while (!this.closed && this.nextIndex < this.log.length) {
        const event = this.log.at(this.nextIndex++);
        if (!event) break;
        this.lastScanned = event.position;
        if (!this.filter || this.filter.matches(event)) {
          await writeRespectingBackpressure(this.call, eventResponse(event, this.structuredIds));
        }
        if (this.filter && ++this.scannedSinceCheckpoint >= this.filter.checkpointEvery) {
          await this.checkpoint();
        }
      }
      if (!this.caughtUp && !this.closed) {
        // A filtered subscription reports how far it scanned before declaring itself live, so
        // a consumer that saw no matching event can still store a resume point.
        if (this.filter && this.scannedSinceCheckpoint > 0) await this.checkpoint();
        this.caughtUp = true;
        if (this.sendCaughtUp) await writeRespectingBackpressure(this.call, caughtUpResponse());
      }
    } finally {
      this.pumping = false;
    }
    if (!this.closed && this.nextIndex < this.log.length) void this.pump();
  }

  private async checkpoint(): Promise<void> {
    this.scannedSinceCheckpoint = 0;
    if (this.lastScanned !== undefined) await writeRespectingBackpressure(this.call, checkpointResponse(this.lastScanned));
  }

  /** Ends the call with an error status, as when the server drops a subscription. */
  drop(code: status, details: string): void {
    if (this.closed) return;
    this.close();
    this.call.emit('error', Object.assign(new Error(details), { code, details }));
  }

  /** Ends the call cleanly (server shutdown). */
  end(): void {
    if (this.closed) return;
    this.close();
    this.call.end();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopFollowing();
    this.onClosed(this);
  }
}

/** Every live subscription, so faults and shutdown can reach them. */
export class Subscriptions {
  private readonly active = new Set<AllSubscription>();

  constructor(
    private readonly log: InMemoryLog,
    private readonly sendCaughtUp: boolean,
  ) {}

  get count(): number {
    return this.active.size;
  }

  start(call: ReadCall, options: ReadReq.Options): void {
    if (!options.hasAll()) {
      call.emit('error', Object.assign(new Error('The emulator subscribes to $all only'), { code: status.UNIMPLEMENTED }));
      return;
    }
    const subscription = new AllSubscription(this.log, call, options, (s) => this.active.delete(s), this.sendCaughtUp);
    this.active.add(subscription);
    subscription.start();
  }

  dropAll(code: status = status.UNAVAILABLE, details = 'Subscription dropped by the emulator'): number {
    const dropped = [...this.active];
    for (const subscription of dropped) subscription.drop(code, details);
    return dropped.length;
  }

  endAll(): void {
    for (const subscription of [...this.active]) subscription.end();
  }
}
