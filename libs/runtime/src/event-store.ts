import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { openEsdbEventStore, openPostgresEventStore, openSqliteEventStore, type EventStore } from '@cmk/eventstore';
import type { CommonConfig } from './config';
import type { DependencyHealth } from './dependency-health';

type StoreKind = 'sqlite' | 'esdb' | 'postgres';

/** `EVENTSTORE_URL`'s scheme picks the adapter: none → SQLite, `postgres(ql)://` → PostgreSQL, else EventStoreDB. */
export function eventStoreKind(config: Pick<CommonConfig, 'eventStoreUrl'>): StoreKind {
  if (!config.eventStoreUrl) return 'sqlite';
  return /^postgres(ql)?:\/\//.test(config.eventStoreUrl) ? 'postgres' : 'esdb';
}

/** Which store the configuration selects, for logs and `/readyz`. */
export function describeEventStore(config: CommonConfig): string {
  const url = config.eventStoreUrl ? redactUrl(config.eventStoreUrl) : '';
  switch (eventStoreKind(config)) {
    case 'sqlite':
      return `embedded SQLite (${sqlitePath(config)})`;
    case 'postgres':
      return `PostgreSQL (${url}, pool ${config.pgPoolMax})`;
    case 'esdb':
      return `EventStoreDB (${url})`;
  }
}

export function sqlitePath(config: CommonConfig): string {
  return join(config.dataDir, 'events.sqlite');
}

/** Selecting the adapter is configuration only: see {@link eventStoreKind}. */
export async function openEventStore(config: CommonConfig, health?: Pick<DependencyHealth, 'noticed'>): Promise<EventStore> {
  const url = config.eventStoreUrl;
  switch (eventStoreKind(config)) {
    case 'sqlite':
      return openSqliteEventStore({ path: sqlitePath(config) });
    case 'postgres': {
      const logger = new Logger('eventstore');
      return openPostgresEventStore({
        url: url as string,
        poolMax: config.pgPoolMax,
        // Idle connections and the LISTEN connection recover by themselves, and retries ride out
        // short failures: debug lines only, since an outage is logged once by the dependency
        // health (start, reminders, end) whatever caused it.
        onBackgroundError: (error) => logger.debug(`PostgreSQL connection lost (it reconnects): ${messageOf(error)}`),
        retry: { onRetry: (error, attempt) => logger.debug(`PostgreSQL event store: attempt ${attempt} failed (${messageOf(error)}); retrying`) },
      });
    }
    case 'esdb':
      // A subscription's drops (it resubscribes by itself) are outages for `health`, not log lines.
      return openEsdbEventStore({ url: url as string, subscriptions: { onRetry: (error) => health?.noticed(error, 'event store subscription') } });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Hides credentials in connection strings before they reach a log line. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@').replace(/([?&]password=)[^&]*/i, '$1***');
}
