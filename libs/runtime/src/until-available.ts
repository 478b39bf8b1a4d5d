import type { DependencyHealth } from './dependency-health';
import { outageDependency } from './outage-errors';

/** Start-up was cut short by a shutdown signal; the shutdown decides the exit code. */
export class StartupAbortedError extends Error {
  override readonly name = 'StartupAbortedError';
  constructor() {
    super('start-up aborted by shutdown');
  }
}

export interface UntilAvailableOptions {
  readonly health: Pick<DependencyHealth, 'noticed'>;
  /** Checked between attempts: a shutdown signal ends the waiting. */
  readonly stopping: () => boolean;
  /** What the step is, for the outage line. */
  readonly what: string;
  /** Default 200 ms, doubling up to `maxDelayMs`. */
  readonly initialDelayMs?: number;
  /** Default 2 000 ms. */
  readonly maxDelayMs?: number;
}

/**
 * Runs a start-up step (open the store, read its identity, claim Redis) until it succeeds,
 * waiting out outages of Redis or the event store: a process started while a dependency is down
 * comes up when it returns, logging one outage line instead of crash-looping. Any other failure
 * (bad configuration, a refused claim) propagates at once.
 */
export async function untilAvailable<T>(step: () => Promise<T>, options: UntilAvailableOptions): Promise<T> {
  let delay = options.initialDelayMs ?? 200;
  const max = options.maxDelayMs ?? 2_000;
  for (;;) {
    if (options.stopping()) throw new StartupAbortedError();
    try {
      return await step();
    } catch (error) {
      if (options.stopping()) throw new StartupAbortedError();
      if (!options.health.noticed(error, options.what)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, max);
  }
}

/** True for a dependency outage (worth waiting out at start-up). */
export function isOutage(error: unknown): boolean {
  return outageDependency(error) !== undefined;
}
