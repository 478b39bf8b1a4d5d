import type { FleetLogger } from './dispatcher';

// BullMQ's messages for a job whose lock expired while its worker could not renew it (Redis or
// the event store down, the event loop blocked): the job runs again as a stalled job.
const LOCK_LOSS = /could not renew lock for job|Missing lock for job|Lock mismatch for job/;

/** True for BullMQ's "this worker lost a job's lock" errors. */
export function isLockLoss(error: Error): boolean {
  return LOCK_LOSS.test(error.message);
}

/**
 * Lost job locks are the expected aftermath of an outage longer than `CMK_JOB_LOCK_MS`: every
 * job a worker held reports it, once or several times. Re-running such a job is safe (keys
 * already moved are skipped), so they are summarised instead of logged one by one: the first
 * one of a minute is a line, the rest of that minute is counted into one line at its end.
 */
export class LockLossLog {
  private windowEnds = 0;
  private suppressed = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: FleetLogger,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  lost(source: string, error: Error): void {
    if (this.now() < this.windowEnds) {
      this.suppressed += 1;
      return;
    }
    this.windowEnds = this.now() + this.windowMs;
    this.logger.warn(`${source}: ${error.message}; the job runs again once its lock expires (safe: keys already moved are skipped); further lost locks this minute are counted`);
    this.timer = setTimeout(() => this.flush(), this.windowMs);
    this.timer.unref();
  }

  close(): void {
    clearTimeout(this.timer);
  }

  private flush(): void {
    if (this.suppressed > 0) this.logger.warn(`${this.suppressed} more lost job lock(s) in the last minute; those jobs run again`);
    this.suppressed = 0;
  }
}
