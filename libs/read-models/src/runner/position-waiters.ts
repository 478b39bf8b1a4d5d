import { comparePositions, type Position } from '@cmk/eventstore';

interface Waiter {
  readonly target: Position;
  readonly resolve: (reached: boolean) => void;
  readonly timer: NodeJS.Timeout;
}

/** The runner's position plus the callers waiting for it to pass a given position. */
export class PositionWaiters {
  private position: Position | undefined;
  private waiters: Waiter[] = [];

  current(): Position | undefined {
    return this.position;
  }

  /** Moves forward only: a stale checkpoint read after a newer write must not move it back. */
  advance(position: Position): void {
    if (this.position && comparePositions(position, this.position) <= 0) return;
    this.position = position;
    const reached = this.waiters.filter((w) => comparePositions(position, w.target) >= 0);
    if (reached.length === 0) return;
    this.waiters = this.waiters.filter((w) => !reached.includes(w));
    for (const waiter of reached) {
      clearTimeout(waiter.timer);
      waiter.resolve(true);
    }
  }

  wait(target: Position, timeoutMs: number): Promise<boolean> {
    if (this.position && comparePositions(this.position, target) >= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        resolve(false);
      }, timeoutMs);
      this.waiters.push({ target, resolve, timer });
    });
  }

  /** Answers every waiter with false (the runner stopped). */
  clear(): void {
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(false);
    }
    this.waiters = [];
  }
}
