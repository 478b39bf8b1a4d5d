import type { Database } from 'better-sqlite3';
import { type AppendOptions, type AppendResult, type EventData, ConcurrencyError, DuplicateEventIdError } from '@cmk/eventstore/port';

interface PendingAppend {
  readonly stream: string;
  readonly events: readonly EventData[];
  readonly options: AppendOptions;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

type AppendOne = (stream: string, events: readonly EventData[], options: AppendOptions) => AppendResult;

/**
 * Group commit: appends that arrive in the same turn of the event loop share one `BEGIN
 * IMMEDIATE` transaction and therefore one fsync (with `synchronous=FULL` the fsync, not the
 * insert, is what an append costs). Each append still runs in its own savepoint, so a wrong
 * expected revision or a duplicate id rolls back that append alone and rejects only its caller;
 * any other failure (I/O, `SQLITE_BUSY`) aborts the whole group and rejects every caller, none
 * of whose events were written. A lone append is committed on the next turn, as before.
 */
export class GroupCommit {
  private pending: PendingAppend[] = [];
  private scheduled = false;
  private readonly runGroup: (group: readonly PendingAppend[], outcomes: (AppendResult | Error)[]) => void;

  constructor(
    db: Database,
    appendOne: AppendOne,
    private readonly afterCommit: () => void,
    /** Most appends in one transaction. Default 256. */
    private readonly maxGroup = 256,
  ) {
    // Nested better-sqlite3 transactions are savepoints: a throw rolls back to it only.
    const one = db.transaction(appendOne);
    const group = db.transaction((items: readonly PendingAppend[], outcomes: (AppendResult | Error)[]) => {
      for (const item of items) {
        try {
          outcomes.push(one(item.stream, item.events, item.options));
        } catch (error) {
          if (error instanceof ConcurrencyError || error instanceof DuplicateEventIdError) outcomes.push(error);
          else throw error;
        }
      }
    });
    this.runGroup = (items, outcomes) => group.immediate(items, outcomes);
  }

  append(stream: string, events: readonly EventData[], options: AppendOptions): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.push({ stream, events, options, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Rejects what is still queued (the store is closing). */
  abort(error: Error): void {
    const pending = this.pending;
    this.pending = [];
    for (const item of pending) item.reject(error);
  }

  private flush(): void {
    this.scheduled = false;
    const group = this.pending.splice(0, this.maxGroup);
    if (this.pending.length > 0) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    if (group.length === 0) return;
    const outcomes: (AppendResult | Error)[] = [];
    try {
      this.runGroup(group, outcomes);
    } catch (error) {
      for (const item of group) item.reject(error);
      return;
    }
    if (group.some((item, i) => item.events.length > 0 && !(outcomes[i] instanceof Error))) this.afterCommit();
    group.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome instanceof Error) item.reject(outcome);
      else item.resolve(outcome);
    });
  }
}
