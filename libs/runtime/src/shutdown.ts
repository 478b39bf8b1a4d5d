import { formatDuration } from './dependency-health';

/** Nest's `Logger` fits. */
export interface ShutdownLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ShutdownOptions {
  /** `CMK_SHUTDOWN_GRACE_MS`: the whole shutdown, from the signal to the exit. */
  readonly graceMs: number;
  readonly logger: ShutdownLogger;
  /** Default `process.exit`. */
  readonly exit?: (code: number) => void;
}

/** A shutdown step: what it closes, and whether it left anything undone (e.g. abandoned jobs). */
export interface ShutdownStep {
  readonly name: string;
  run(): Promise<void | { readonly clean: boolean; readonly note?: string }>;
}

/** Exit codes: 0 after a clean shutdown, 1 when a step failed, left work undone or overran the grace. */
export const EXIT_CLEAN = 0;
export const EXIT_UNCLEAN = 1;

/**
 * Bounded shutdown for both apps. Installed before anything is opened, so a SIGTERM during
 * start-up (Redis or the event store unreachable, a claim waiting) stops the process too. Steps
 * run in the reverse order of registration (last opened, first closed); whatever the
 * dependencies' state, the process exits within `graceMs`: 0 when every step finished cleanly,
 * 1 otherwise (the log says which step). A second signal exits at once with 1.
 */
export class GracefulShutdown {
  private readonly steps: ShutdownStep[] = [];
  private started = false;

  constructor(private readonly options: ShutdownOptions) {}

  /** True once a signal arrived: start-up code stops and leaves the exit to the shutdown. */
  get stopping(): boolean {
    return this.started;
  }

  /** Adds what to close; the step registered last runs first. */
  register(name: string, run: ShutdownStep['run']): void {
    this.steps.push({ name, run });
  }

  install(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => this.onSignal(signal));
  }

  private onSignal(signal: string): void {
    if (this.started) {
      this.options.logger.warn(`${signal} again: exiting now without finishing the shutdown`);
      this.exit(EXIT_UNCLEAN);
      return;
    }
    void this.shutdown(signal);
  }

  /** Runs the steps within the grace and exits. */
  async shutdown(reason: string): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { graceMs, logger } = this.options;
    const startedAt = Date.now();
    logger.log(`${reason}: shutting down (grace ${formatDuration(graceMs)})`);
    let current = 'start';
    const overrun = setTimeout(() => {
      logger.error(`shutdown not clean: "${current}" did not finish within the grace of ${formatDuration(graceMs)}; exiting`);
      this.exit(EXIT_UNCLEAN);
    }, graceMs);
    let clean = true;
    for (const step of [...this.steps].reverse()) {
      current = step.name;
      try {
        const result = await step.run();
        if (result && !result.clean) {
          clean = false;
          logger.warn(`shutdown: ${step.name}: ${result.note ?? 'left work undone'}`);
        }
      } catch (error) {
        clean = false;
        logger.warn(`shutdown: ${step.name} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    clearTimeout(overrun);
    logger.log(`shutdown ${clean ? 'complete' : 'finished, not clean'} after ${formatDuration(Date.now() - startedAt)}`);
    this.exit(clean ? EXIT_CLEAN : EXIT_UNCLEAN);
  }

  private exit(code: number): void {
    (this.options.exit ?? ((c: number) => process.exit(c)))(code);
  }
}
