import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second for `/proc/<pid>/stat` times (Linux: `getconf CLK_TCK`, 100). */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds a live process has used so far, or undefined once it is gone. */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * CPU time used by named groups of processes between `start()` and `stop()`, sampled every
 * `intervalMs` so that processes which come and go meanwhile (PostgreSQL backends of a pool)
 * count too: a pid first seen after the start counts all its CPU (it began during the run), a
 * pid seen at the start counts from then, and a pid's last sample is what counts once it exits.
 * On a machine shared with other work, CPU per operation moves far less than wall-clock rates.
 */
export class CpuMeter {
  private readonly first = new Map<string, Map<number, number>>();
  private readonly last = new Map<string, Map<number, number>>();
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();

  constructor(
    private readonly groups: Record<string, () => Promise<readonly number[]> | readonly number[]>,
    private readonly intervalMs = 500,
  ) {}

  async start(): Promise<void> {
    await this.sample(true);
    this.timer = setInterval(() => {
      this.sampling = this.sampling.then(() => this.sample(false)).catch(() => undefined);
    }, this.intervalMs);
  }

  /** CPU seconds per group since `start()`. */
  async stop(): Promise<Record<string, number>> {
    clearInterval(this.timer);
    await this.sampling;
    await this.sample(false);
    const totals: Record<string, number> = {};
    for (const group of Object.keys(this.groups)) {
      let total = 0;
      for (const [pid, seconds] of this.last.get(group) ?? []) total += seconds - (this.first.get(group)?.get(pid) ?? 0);
      totals[group] = Number(total.toFixed(2));
    }
    return totals;
  }

  private async sample(initial: boolean): Promise<void> {
    for (const [group, pidsOf] of Object.entries(this.groups)) {
      const first = this.first.get(group) ?? new Map<number, number>();
      const last = this.last.get(group) ?? new Map<number, number>();
      this.first.set(group, first);
      this.last.set(group, last);
      for (const pid of await pidsOf()) {
        const seconds = cpuSecondsOf(pid);
        if (seconds === undefined) continue;
        if (!first.has(pid)) first.set(pid, initial ? seconds : 0);
        last.set(pid, seconds);
      }
    }
  }
}
