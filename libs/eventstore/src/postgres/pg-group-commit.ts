import type { AppendOptions, AppendResult, EventData } from '@cmk/eventstore/port';

export interface PendingAppend {
  readonly stream: string;
  readonly events: readonly EventData[];
  readonly options: AppendOptions;
}

interface Queued extends PendingAppend {
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

/** Runs one group; returns one outcome per append (a result, or the error for that append alone). */
export type RunGroup = (group: readonly PendingAppend[]) => Promise<(AppendResult | Error)[]>;

/**
 * Group commit: appends are queued and sent as groups of up to `maxGroup` in one `cmk_append`
 * call, so one round trip and one WAL flush serve them all. One group is in flight at a time per
 * store object (appends are serialised by the append lock anyway); what arrives meanwhile forms
 * the next group, so groups grow with the load. A failure of the whole group rejects every
 * append in it.
 */
export class PgGroupCommit {
  private pending: Queued[] = [];
  private running = false;

  constructor(
    private readonly runGroup: RunGroup,
    /** Most appends in one call. Default 256. */
    private readonly maxGroup = 256,
  ) {}

  append(stream: string, events: readonly EventData[], options: AppendOptions): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.push({ stream, events, options, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Appends issued in the same event-loop turn join the first group.
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Rejects what is still queued (the store is closing). */
  abort(error: Error): void {
    const pending = this.pending;
    this.pending = [];
    for (const item of pending) item.reject(error);
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const group = this.pending.splice(0, this.maxGroup);
        let outcomes: (AppendResult | Error)[];
        try {
          outcomes = await this.runGroup(group);
        } catch (error) {
          for (const item of group) item.reject(error);
          continue;
        }
        group.forEach((item, i) => {
          const outcome = outcomes[i];
          if (outcome instanceof Error) item.reject(outcome);
          else item.resolve(outcome);
        });
      }
    } finally {
      this.running = false;
    }
  }
}
