import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { Faults } from './faults';
import { InMemoryLog } from './log';
import { streamsService } from './streams-service';
import { Subscriptions } from './subscription';

export interface EsdbEmulatorOptions {
  /** TCP port on `host`. Default 0: the kernel picks a free port (read it from the handle). */
  readonly port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /**
   * Write a few events to `$`-prefixed streams at start, as a real server's `$all` always holds
   * system events; adapters must skip them. Default `true`.
   */
  readonly systemEvents?: boolean;
  /**
   * Send the `caught_up` message when a subscription reaches the live end, as servers from 23.10
   * do. `false` imitates older servers, whose clients must work out catching up themselves.
   * Default `true`.
   */
  readonly caughtUpMessages?: boolean;
}

export interface EsdbEmulator {
  /** Connection string for `EventStoreDBClient.connectionString`. */
  readonly url: string;
  readonly port: number;
  /** Number of `$all` subscriptions currently served. */
  readonly subscriptionCount: number;
  /** Ends every live subscription with `code` (default UNAVAILABLE); returns how many were dropped. */
  dropSubscriptions(code?: status): number;
  /** The next `count` Streams calls fail at once with `code` (default UNAVAILABLE). */
  failNextCalls(count: number, code?: status): void;
  /** Delay before serving each Streams call (0 turns it off). */
  setLatency(ms: number): void;
  /** Clears pending injected failures and latency. */
  resetFaults(): void;
  /** Runs a scavenge: events of hard-deleted (tombstoned) streams leave the log; returns how many. */
  scavenge(): number;
  /**
   * An outage: drops every subscription with UNAVAILABLE and stops listening, keeping the log,
   * so clients see connection refusals until `restart()`.
   */
  stop(): Promise<void>;
  /** Listens again on the same port, with the same log (after `stop()`). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts an in-memory server that speaks EventStoreDB's gRPC Streams protocol well enough for
 * `@eventstore/db-client`. A test tool: nothing is persisted and nothing is secured.
 */
export async function startEsdbEmulator(options: EsdbEmulatorOptions = {}): Promise<EsdbEmulator> {
  const host = options.host ?? '127.0.0.1';
  const log = new InMemoryLog();
  const faults = new Faults();
  const subscriptions = new Subscriptions(log, options.caughtUpMessages ?? true);
  if (options.systemEvents ?? true) seedSystemEvents(log);

  const listen = async (at: number): Promise<{ server: Server; port: number }> => {
    const server = new Server();
    // ServerFeatures and Gossip are deliberately not registered: grpc-js answers UNIMPLEMENTED,
    // which makes the client fall back to plain Append, and a single-host connection string never
    // gossips.
    server.addService(StreamsService, streamsService(log, subscriptions, faults));
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${host}:${at}`, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
    });
    return { server, port };
  };
  const shutdown = (server: Server) =>
    new Promise<void>((resolve) => {
      // Clients keep their channel open; give in-flight calls a moment, then cut them.
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 500);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  let { server, port } = await listen(options.port ?? 0);
  let running = true;

  return {
    url: `esdb://${host}:${port}?tls=false`,
    port,
    get subscriptionCount() {
      return subscriptions.count;
    },
    dropSubscriptions: (code) => subscriptions.dropAll(code),
    failNextCalls: (count, code) => faults.failNextCalls(count, code),
    setLatency: (ms) => faults.setLatency(ms),
    resetFaults: () => faults.reset(),
    scavenge: () => log.scavenge(),
    stop: async () => {
      if (!running) return;
      running = false;
      subscriptions.dropAll(status.UNAVAILABLE, 'Server is shutting down');
      server.forceShutdown();
    },
    restart: async () => {
      if (running) return;
      ({ server, port } = await listen(port));
      running = true;
    },
    close: async () => {
      subscriptions.endAll();
      if (running) await shutdown(server);
      running = false;
    },
  };
}

function seedSystemEvents(log: InMemoryLog): void {
  const json = (value: object) => Uint8Array.from(Buffer.from(JSON.stringify(value), 'utf8'));
  const system = (id: string, type: string, data: object) => ({
    id,
    type,
    contentType: 'application/json',
    data: json(data),
    customMetadata: new Uint8Array(),
  });
  log.append('$settings', { kind: 'any' }, [
    system('00000000-0000-4000-8000-000000000001', 'update-default-acl', { $userStreamAcl: {}, $systemStreamAcl: {} }),
  ]);
  log.append('$scavenges', { kind: 'any' }, [system('00000000-0000-4000-8000-000000000002', '$scavengeIndexInitialized', {})]);
}
