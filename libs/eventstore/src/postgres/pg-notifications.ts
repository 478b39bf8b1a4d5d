import { Client, type ClientConfig } from 'pg';
import { NOTIFY_CHANNEL } from './pg-append-function';

/**
 * One `LISTEN` connection per store object, shared by all its subscriptions: `cmk_append`
 * notifies at commit, and every registered waker runs. When the connection is lost, it
 * reconnects with backoff and wakes everyone once it listens again (a notification sent while
 * it was down is gone; the wake makes each subscription read what it missed). Subscriptions
 * also poll slowly, so even a silently dead connection only delays delivery.
 */
export class PgNotificationListener {
  private client: Client | undefined;
  private readonly wakers = new Set<() => void>();
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private connecting: Promise<void> | undefined;
  /** True while a `LISTEN` connection is up. */
  listening = false;

  constructor(
    private readonly config: ClientConfig,
    private readonly onError: (error: unknown) => void,
    private readonly initialBackoffMs = 100,
    private readonly maxBackoffMs = 2_000,
  ) {
    this.backoffMs = initialBackoffMs;
  }

  /** Connects; a failure schedules a reconnect instead of failing the store. */
  start(): Promise<void> {
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Registers a callback run on every notification and after every reconnect. */
  onWake(waker: () => void): () => void {
    this.wakers.add(waker);
    return () => this.wakers.delete(waker);
  }

  wakeAll(): void {
    for (const waker of this.wakers) waker();
  }

  /** The backend's pid while listening (tests terminate it to prove the reconnect). */
  get pid(): number | undefined {
    return (this.client as (Client & { processID?: number }) | undefined)?.processID;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    this.listening = false;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new Client({ ...this.config, keepAlive: true });
    client.on('notification', () => this.wakeAll());
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, undefined));
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.listening = true;
    this.backoffMs = this.initialBackoffMs;
    // Anything committed while no connection listened is found by the read this triggers.
    this.wakeAll();
  }

  private lost(client: Client, error: unknown): void {
    if (error !== undefined && !this.closed) this.onError(error);
    client.removeAllListeners('end');
    client.removeAllListeners('error');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.client === client) {
      this.client = undefined;
      this.listening = false;
    }
    if (this.closed || this.reconnectTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.maxBackoffMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.start();
    }, delay);
    this.wakeAll();
  }
}
