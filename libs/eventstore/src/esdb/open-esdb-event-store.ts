import { EventStoreDBClient } from '@eventstore/db-client';
import { EsdbEventStore } from './esdb-event-store';
import type { EsdbSubscriptionSettings } from './esdb-subscription';

export interface OpenEsdbEventStoreOptions {
  /**
   * EventStoreDB connection string, passed to the client untouched: `esdb://host:2113?tls=false`
   * for one insecure node, `esdb://a:2113,b:2113,c:2113?tls=true&tlsCAFile=...` or
   * `esdb+discover://cluster.example:2113` for a cluster. Required; apps read it from
   * `EVENTSTORE_URL` with {@link readEventStoreUrl}.
   */
  readonly url: string;
  /** Resubscribe backoff and buffering of `$all` subscriptions. Defaults: see {@link EsdbSubscriptionSettings}. */
  readonly subscriptions?: EsdbSubscriptionSettings;
}

/** Opens the EventStoreDB adapter. The client connects lazily, on the first call. */
export async function openEsdbEventStore(options: OpenEsdbEventStoreOptions): Promise<EsdbEventStore> {
  // connectionString() validates the string and throws on a malformed one, before any I/O.
  const client = EventStoreDBClient.connectionString(options.url);
  return new EsdbEventStore(client, options.subscriptions);
}

/**
 * Reads `EVENTSTORE_URL` once at an app's entry point. Only the scheme is checked; single-node,
 * cluster and TLS forms are passed on untouched. Returns `undefined` when the variable is unset.
 */
export function readEventStoreUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = env['EVENTSTORE_URL']?.trim();
  if (!url) return undefined;
  if (!/^esdb(\+discover)?:\/\//.test(url)) {
    throw new Error(`EVENTSTORE_URL must be an esdb:// or esdb+discover:// connection string, got ${JSON.stringify(url)}`);
  }
  return url;
}
