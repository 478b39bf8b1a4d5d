import { join } from 'node:path';
import { openEsdbEventStore, openSqliteEventStore, type EventStore } from '@cmk/eventstore';
import type { CommonConfig } from './config';
import type { DependencyHealth } from './dependency-health';

/** Which store the configuration selects, for logs and `/readyz`. */
export function describeEventStore(config: CommonConfig): string {
  return config.eventStoreUrl ? `EventStoreDB (${redactUrl(config.eventStoreUrl)})` : `embedded SQLite (${sqlitePath(config)})`;
}

export function sqlitePath(config: CommonConfig): string {
  return join(config.dataDir, 'events.sqlite');
}

/**
 * Selecting the adapter is configuration only: `EVENTSTORE_URL` set means EventStoreDB. A
 * subscription's drops (it resubscribes by itself) are outages for `health`, not log lines.
 */
export async function openEventStore(config: CommonConfig, health?: Pick<DependencyHealth, 'noticed'>): Promise<EventStore> {
  if (config.eventStoreUrl) {
    return openEsdbEventStore({ url: config.eventStoreUrl, subscriptions: { onRetry: (error) => health?.noticed(error, 'event store subscription') } });
  }
  return openSqliteEventStore({ path: sqlitePath(config) });
}

/** Hides credentials in connection strings before they reach a log line. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}
