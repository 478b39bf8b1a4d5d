/**
 * A single-consumer async queue: the producer pushes, the consumer pulls with `next()`. It ends
 * either by `close()` (pending pulls resolve `done`, buffered items are dropped: the consumer
 * asked to stop) or by `fail()` (buffered items are delivered first, then the error).
 */
export class ItemQueue<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<{ resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }> = [];
  private closed = false;
  private failure: { readonly error: unknown } | undefined;
  private drained: (() => void) | undefined;

  /** Items pushed but not yet pulled. */
  get size(): number {
    return this.items.length;
  }

  get isClosed(): boolean {
    return this.closed || this.failure !== undefined;
  }

  push(item: T): void {
    if (this.isClosed) return;
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve({ value: item, done: false });
    else this.items.push(item);
  }

  /** Calls `callback` once, the next time the consumer pulls the queue down to `low` items. */
  whenBelow(low: number, callback: () => void): void {
    this.drained = () => {
      if (this.items.length > low) return;
      this.drained = undefined;
      callback();
    };
  }

  close(): void {
    if (this.isClosed) return;
    this.closed = true;
    this.items.length = 0;
    for (const waiter of this.waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
  }

  fail(error: unknown): void {
    if (this.isClosed) return;
    this.failure = { error };
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item !== undefined) {
      this.drained?.();
      return Promise.resolve({ value: item, done: false });
    }
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
}
