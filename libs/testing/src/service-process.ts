import { spawn, type ChildProcess } from 'node:child_process';
import { basename, resolve } from 'node:path';
import { waitFor } from './wait-for';

export interface ServiceProcessOptions {
  /** For messages. */
  readonly name: string;
  /** A built entry point, relative to the repository root, e.g. `dist/apps/api/src/main.js`. */
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  /** Polled until it answers 2xx. */
  readonly readyUrl?: string;
  /** Default 30 000 ms. */
  readonly readyTimeoutMs?: number;
}

// The repository root, from the sources (tests) or from their build in dist/ (scripts such as `npm run fuzz`).
const ROOT = ((up) => (basename(up) === 'dist' ? resolve(up, '..') : up))(resolve(__dirname, '../../..'));

/**
 * One of our apps as a real OS process (e2e tests): started from `dist/` (built by `npm test`),
 * its output kept for failure messages, killable with any signal to test crash recovery.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private output: string[] = [];

  private constructor(private readonly options: ServiceProcessOptions) {}

  static async start(options: ServiceProcessOptions): Promise<ServiceProcess> {
    const service = new ServiceProcess(options);
    await service.spawn();
    return service;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The exit code once the process has exited, `null` while it runs (or after a signal). */
  get exitCode(): number | null {
    return this.child?.exitCode ?? null;
  }

  /** True while the process runs (neither exited nor killed by a signal). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last output the process printed (stdout and stderr): `chunks` pipe reads, 200 by default. */
  logs(chunks = 200): string {
    return this.output.slice(-chunks).join('');
  }

  /** Everything kept of this process's output (for parsing log lines). */
  allLogs(): string {
    return this.output.join('');
  }

  private async spawn(): Promise<void> {
    // CMK_CHILD_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the apps a test or benchmark starts.
    const nodeArgs = (process.env['CMK_CHILD_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, resolve(ROOT, this.options.script)], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      // Bounded, cut at a chunk border: a parser of the whole output may see one partial first line.
      if (this.output.length > 20_000) this.output = this.output.slice(-10_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const readyUrl = this.options.readyUrl;
    if (readyUrl) {
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`${this.options.name} exited with ${child.exitCode}:\n${this.logs()}`);
          const response = await fetch(readyUrl).catch(() => undefined);
          return response?.ok === true;
        },
        { timeoutMs: this.options.readyTimeoutMs ?? 30_000, intervalMs: 100, description: `${this.options.name} at ${readyUrl}` },
      ).catch((error: unknown) => {
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- ${this.options.name} output ---\n${this.logs()}`);
      });
    }
  }

  /** Sends `signal` and waits for the process to exit. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    child.kill(signal);
    return exited;
  }

  /** Starts the same command again (after `kill`). */
  async restart(): Promise<void> {
    await this.kill('SIGTERM');
    await this.spawn();
  }

  async stop(): Promise<void> {
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 10_000);
    await this.kill('SIGTERM');
    clearTimeout(timer);
  }
}
