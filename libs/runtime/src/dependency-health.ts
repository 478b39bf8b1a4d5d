import { Counter, Gauge, register } from 'prom-client';
import { DEPENDENCIES, errorSummary, outageDependency, type Dependency } from './outage-errors';

/** Nest's `Logger` fits. */
export interface HealthLogger {
  warn(message: string): void;
}

export interface DependencyStatus {
  readonly dependency: Dependency;
  readonly up: boolean;
  /** When the current state began (process start for a dependency never seen down). */
  readonly since: Date;
  /** Outages since the process started. */
  readonly outages: number;
  /** Failed attempts seen during the current outage (0 while up). */
  readonly failedAttempts: number;
  /** The last failure of the current outage, one line. */
  readonly lastError?: string;
}

export interface DependencyHealthOptions {
  readonly logger: HealthLogger;
  /** Where each dependency lives, for the log lines (credentials already redacted). */
  readonly where: Readonly<Record<Dependency, string>>;
  /** How often a line says an outage still lasts. Default 60 000 ms. */
  readonly reminderMs?: number;
  readonly now?: () => number;
}

interface State {
  up: boolean;
  since: number;
  outages: number;
  failedAttempts: number;
  lastError?: string;
  reminder?: NodeJS.Timeout;
}

const NAMES: Record<Dependency, string> = { redis: 'Redis', eventstore: 'event store' };

// Registered once per process on prom-client's default registry, so both apps' /metrics (and
// any other collector of the default registry) export them without knowing this class.
const upGauge = (register.getSingleMetric('cmk_dependency_up') as Gauge | undefined) ??
  new Gauge({ name: 'cmk_dependency_up', help: '1 while the dependency answers, 0 during an outage.', labelNames: ['dependency'] });
const outageCounter = (register.getSingleMetric('cmk_dependency_outages_total') as Counter | undefined) ??
  new Counter({ name: 'cmk_dependency_outages_total', help: 'Outages of the dependency since the process started.', labelNames: ['dependency'] });

/**
 * The one place a process keeps track of its dependencies' outages. Every connection and loop
 * reports failures here instead of logging them, so an outage is one line when it starts, a
 * reminder at most once per `reminderMs` while it lasts, and one line when it ends; `/readyz`
 * and the `cmk_dependency_up` / `cmk_dependency_outages_total` metrics read the same state.
 */
export class DependencyHealth {
  private readonly states = new Map<Dependency, State>();
  private readonly now: () => number;
  private readonly reminderMs: number;

  constructor(private readonly options: DependencyHealthOptions) {
    this.now = options.now ?? Date.now;
    this.reminderMs = options.reminderMs ?? 60_000;
    for (const dependency of DEPENDENCIES) {
      this.states.set(dependency, { up: true, since: this.now(), outages: 0, failedAttempts: 0 });
      upGauge.set({ dependency }, 1);
      outageCounter.inc({ dependency }, 0);
    }
  }

  /**
   * Takes note of a failure if it is an outage of a dependency (see `outageDependency`) and
   * answers true; the caller then stays quiet. Any other error is the caller's to log.
   */
  noticed(error: unknown, source: string): boolean {
    const dependency = outageDependency(error);
    if (!dependency) return false;
    this.failure(dependency, error, source);
    return true;
  }

  /**
   * Like `noticed`, for failures reported late (a job that fails after its retries, possibly
   * once the dependency is back): counted into an outage in progress, but never starts one, so a
   * late report cannot re-open an outage the probes have seen end.
   */
  absorbs(error: unknown): boolean {
    const dependency = outageDependency(error);
    if (!dependency) return false;
    const state = this.state(dependency);
    if (!state.up) {
      state.failedAttempts += 1;
      state.lastError = errorSummary(error);
    }
    return true;
  }

  /** A call to `dependency` failed: starts an outage (one line) or counts one more attempt. */
  failure(dependency: Dependency, error: unknown, source: string): void {
    const state = this.state(dependency);
    state.failedAttempts += 1;
    state.lastError = errorSummary(error);
    if (!state.up) return;
    state.up = false;
    state.since = this.now();
    state.outages += 1;
    upGauge.set({ dependency }, 0);
    outageCounter.inc({ dependency });
    this.options.logger.warn(
      `${NAMES[dependency]} outage started: ${this.options.where[dependency]} unavailable since ${new Date(state.since).toISOString()} (${source}: ${state.lastError}); retrying`,
    );
    state.reminder = setInterval(() => this.remind(dependency), this.reminderMs);
    state.reminder.unref();
  }

  /** `dependency` answered again: ends the outage (one line with its duration), if any. */
  recovered(dependency: Dependency): void {
    const state = this.state(dependency);
    if (state.up) return;
    const lasted = this.now() - state.since;
    clearInterval(state.reminder);
    // At warn, like its start: a log filtered to warnings still shows when the outage ended.
    this.options.logger.warn(`${NAMES[dependency]} outage ended after ${formatDuration(lasted)} (${state.failedAttempts} failed attempts): ${this.options.where[dependency]} answers again`);
    Object.assign(state, { up: true, since: this.now(), failedAttempts: 0, lastError: undefined, reminder: undefined });
    upGauge.set({ dependency }, 1);
  }

  isUp(dependency: Dependency): boolean {
    return this.state(dependency).up;
  }

  status(): DependencyStatus[] {
    return DEPENDENCIES.map((dependency) => {
      const { up, since, outages, failedAttempts, lastError } = this.state(dependency);
      return { dependency, up, since: new Date(since), outages, failedAttempts, ...(lastError ? { lastError } : {}) };
    });
  }

  /** Stops the reminders (shutdown). */
  close(): void {
    for (const state of this.states.values()) clearInterval(state.reminder);
  }

  private remind(dependency: Dependency): void {
    const state = this.state(dependency);
    if (state.up) return;
    this.options.logger.warn(
      `${NAMES[dependency]} outage continues: ${this.options.where[dependency]} unavailable for ${formatDuration(this.now() - state.since)}, ${state.failedAttempts} failed attempts so far (last: ${state.lastError ?? 'unknown'}); retrying`,
    );
  }

  private state(dependency: Dependency): State {
    const state = this.states.get(dependency);
    if (!state) throw new Error(`unknown dependency ${dependency}`);
    return state;
  }
}

/** `850 ms`, `21.3 s`, `4 min 05 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1_000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}
