import { status } from '@grpc/grpc-js';

/** Fault injection shared by every Streams call the emulator serves. */
export class Faults {
  private failuresLeft = 0;
  private failureCode: status = status.UNAVAILABLE;
  private latency = 0;

  /** The next `count` Streams calls (Read or Append) fail at once with `code` (default UNAVAILABLE). */
  failNextCalls(count: number, code: status = status.UNAVAILABLE): void {
    this.failuresLeft = count;
    this.failureCode = code;
  }

  /** Delay before every Streams call is served, in milliseconds (0 turns it off). */
  setLatency(ms: number): void {
    this.latency = Math.max(0, ms);
  }

  reset(): void {
    this.failuresLeft = 0;
    this.latency = 0;
  }

  /** Consumes one injected failure, if any is pending. */
  takeFailure(): status | undefined {
    if (this.failuresLeft <= 0) return undefined;
    this.failuresLeft -= 1;
    return this.failureCode;
  }

  async delay(): Promise<void> {
    if (this.latency > 0) await new Promise((resolve) => setTimeout(resolve, this.latency));
  }
}
