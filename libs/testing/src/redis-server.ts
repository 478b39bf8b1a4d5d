import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

/** Where `redis-server` is looked up; override with `REDIS_SERVER_BIN`. */
export const REDIS_SERVER_BIN = process.env['REDIS_SERVER_BIN'] ?? '/usr/bin/redis-server';

/**
 * A private `redis-server` for one test file: its own port, its own directory, no persistence
 * unless asked. Tests can `kill()` it (SIGKILL) and `restart()` it on the same port to prove that
 * the system survives a Redis outage.
 */
export class RedisServer {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'cmk-redis-'));

  private constructor(
    readonly port: number,
    private readonly appendOnly: boolean,
    private readonly password: string | undefined,
  ) {}

  /**
   * Starts a server on a free port. `appendOnly` keeps data across `restart()`; `password`
   * makes it require AUTH (`requirepass`), and `url` carries it (`redis://:<password>@…`).
   */
  static async start(options: { appendOnly?: boolean; password?: string } = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), options.appendOnly ?? false, options.password);
    await server.spawn();
    return server;
  }

  get url(): string {
    return this.password === undefined ? `redis://127.0.0.1:${this.port}` : `redis://:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}`;
  }

  /** The server process's pid while it runs (benchmarks read its CPU time). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async spawn(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir];
    args.push('--appendonly', this.appendOnly ? 'yes' : 'no', '--appendfsync', 'always');
    // On standard input rather than the command line (`redis-server -` reads its configuration there).
    if (this.password !== undefined) args.unshift('-');
    const child = spawn(REDIS_SERVER_BIN, args, { stdio: [this.password === undefined ? 'ignore' : 'pipe', 'ignore', 'ignore'] });
    if (this.password !== undefined) child.stdin?.end(`requirepass "${this.password.replace(/[\\"]/g, (c) => `\\${c}`)}"\n`);
    this.child = child;
    await waitFor(() => this.ping(), { timeoutMs: 10_000, description: `redis-server on ${this.port}` });
  }

  private ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(this.port, '127.0.0.1');
      socket.once('error', () => resolve(false));
      let reply = '';
      socket.on('data', (data) => {
        reply += data.toString();
        if (!reply.endsWith('\r\n')) return;
        if (this.password !== undefined && reply === '+OK\r\n') return;
        socket.destroy();
        resolve(reply.endsWith('+PONG\r\n'));
      });
      const auth = (password: string) => `*2\r\n$4\r\nAUTH\r\n$${Buffer.byteLength(password)}\r\n${password}\r\n`;
      socket.once('connect', () => socket.write(`${this.password === undefined ? '' : auth(this.password)}PING\r\n`));
    });
  }

  /** SIGKILL: the server vanishes as in a crash. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Starts the server again on the same port (after `kill()` or `stop()`). */
  async restart(): Promise<void> {
    await this.spawn();
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }
}
