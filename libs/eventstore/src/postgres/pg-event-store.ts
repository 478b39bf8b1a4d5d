import { Pool, type PoolConfig, type QueryConfig, type QueryResultRow } from 'pg';
import {
  type AllSubscription,
  type AppendOptions,
  type AppendResult,
  type EventData,
  type EventStore,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
  ConcurrencyError,
  DuplicateEventIdError,
  START_POSITION,
  type Position,
} from '@cmk/eventstore/port';
import { appendParameters, expectedText, outcomeOf, repeatedIdIn, type AppendRow } from './pg-append';
import { uniqueViolationOf, withRetries, type RetryOptions } from './pg-errors';
import { PgGroupCommit, type PendingAppend } from './pg-group-commit';
import { PgNotificationListener } from './pg-notifications';
import { MAX_SEQ, positionOf, QUERIES, toRecordedEvent, type PgEventRow, type PgFilteredPageRow } from './pg-rows';
import type { PgSubscriptionPage } from './pg-subscription';
import { migrate } from './pg-schema';
import { PgAllSubscription } from './pg-subscription';

/** Stream names per query of `readStreams`. */
const READ_STREAMS_CHUNK = 1_000;

export interface PostgresEventStoreOptions {
  /** `postgres://user:password@host:5432/database?sslmode=require` (or `postgresql://`). The database must exist. */
  readonly url: string;
  /** Most pooled connections (the LISTEN connection comes on top). Default 10. */
  readonly poolMax?: number;
  /** How long to wait for a pooled connection (pool exhausted, server unreachable). Default 5000 ms. */
  readonly connectionTimeoutMs?: number;
  /** Fallback polling of live subscriptions; LISTEN/NOTIFY wakes them first. Default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** `false`: no LISTEN connection, polling only (e.g. behind a pooler in transaction mode). Default true. */
  readonly notifications?: boolean;
  /** Rows a subscription reads per page. Default 500. */
  readonly pageSize?: number;
  /**
   * Most rows one page of a filtered subscription looks at (the server skips the unwanted ones;
   * the page still holds at most `pageSize` wanted rows). Default 20 000.
   */
  readonly filterScanRows?: number;
  /** Least time between two reads of a live subscription (gathers a burst of commits). Default 10 ms. */
  readonly minLiveReadIntervalMs?: number;
  /** Retries after transient failures (dropped connections, failover, serialisation failures). */
  readonly retry?: RetryOptions;
  /** Shown in `pg_stat_activity`. Default `cmk`. */
  readonly applicationName?: string;
  /** Reports background failures (idle connections lost, LISTEN connection lost). Default: ignored. */
  readonly onBackgroundError?: (error: unknown) => void;
}

/**
 * The event store on PostgreSQL: one table, appends through the `cmk_append` function under a
 * transaction-level advisory lock (global order = commit order), group commit per store object,
 * LISTEN/NOTIFY wake-ups with polling as the fallback. See libs/eventstore/README.md.
 */
export class PostgresEventStore implements EventStore {
  private readonly subscriptions = new Set<PgAllSubscription>();
  private readonly localWakers = new Set<() => void>();
  private readonly groupCommit: PgGroupCommit;
  private readonly retry: RetryOptions;
  private readonly filterScanRows: bigint;
  private closed = false;

  private constructor(
    readonly pool: Pool,
    private readonly listener: PgNotificationListener | undefined,
    private readonly options: PostgresEventStoreOptions,
  ) {
    this.retry = options.retry ?? {};
    this.filterScanRows = BigInt(Math.max(1, options.filterScanRows ?? 20_000));
    this.groupCommit = new PgGroupCommit((group) => this.appendGroup(group));
  }

  static async open(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const onError = options.onBackgroundError ?? (() => undefined);
    const config: PoolConfig = {
      connectionString: options.url,
      max: options.poolMax ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      application_name: options.applicationName ?? 'cmk',
      keepAlive: true,
    };
    const pool = new Pool(config);
    // An idle pooled connection that dies emits here; without a handler it would crash the process.
    pool.on('error', onError);
    try {
      await withRetries('migrating the schema', options.retry ?? {}, () => migrate(pool));
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    const listener = options.notifications === false ? undefined : new PgNotificationListener({ ...config, application_name: `${config.application_name}-listen` }, onError);
    const store = new PostgresEventStore(pool, listener, options);
    await listener?.start();
    return store;
  }

  appendToStream(streamName: string, events: readonly EventData[], options: AppendOptions = {}): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('The event store is closed'));
    return this.groupCommit.append(streamName, events, options);
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const limit = options.maxCount ?? null;
    const from = options.fromRevision;
    const query =
      options.direction === 'backwards'
        ? QUERIES.streamBackwards(streamName, from === undefined || from === 'end' ? MAX_SEQ : from === 'start' ? 0n : from, limit)
        : QUERIES.streamForwards(streamName, from === undefined || from === 'start' ? 0n : from === 'end' ? MAX_SEQ : from, limit);
    return (await this.query<PgEventRow>(`reading ${streamName}`, query)).map(toRecordedEvent);
  }

  /** One query for all the streams (in chunks of `READ_STREAMS_CHUNK` names). */
  async readStreams(streamNames: readonly string[]): Promise<RecordedEvent[][]> {
    const byStream = new Map<string, RecordedEvent[]>();
    const distinct = [...new Set(streamNames)];
    for (let i = 0; i < distinct.length; i += READ_STREAMS_CHUNK) {
      const chunk = distinct.slice(i, i + READ_STREAMS_CHUNK);
      const rows = await this.query<PgEventRow>(`reading ${chunk.length} streams`, QUERIES.streams(chunk));
      for (const row of rows) {
        const events = byStream.get(row.stream_id);
        if (events) events.push(toRecordedEvent(row));
        else byStream.set(row.stream_id, [toRecordedEvent(row)]);
      }
    }
    return streamNames.map((name) => [...(byStream.get(name) ?? [])]);
  }

  /** Both directions include the event at `fromPosition`. */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const limit = options.maxCount ?? null;
    const from = options.fromPosition;
    const query =
      options.direction === 'backwards'
        ? QUERIES.allBackwards(from === undefined || from === 'end' ? MAX_SEQ : from === 'start' ? 0n : from.commit, limit)
        : QUERIES.allForwards(from === undefined || from === 'start' ? 0n : from === 'end' ? MAX_SEQ : from.commit, limit);
    return (await this.query<PgEventRow>('reading $all', query)).map(toRecordedEvent);
  }

  subscribeToAll(options: SubscribeToAllOptions): AllSubscription {
    const from = options.fromPosition;
    const start = from === 'start' ? Promise.resolve(-1n) : from === 'end' ? this.headSeq() : Promise.resolve(from.commit);
    const subscription = new PgAllSubscription(
      {
        readPage: (after, limit, prefixes) => this.readPage(after, limit, prefixes),
        onWake: (waker) => {
          this.localWakers.add(waker);
          const stopListening = this.listener?.onWake(waker);
          return () => {
            this.localWakers.delete(waker);
            stopListening?.();
          };
        },
      },
      {
        from: start,
        prefixes: options.filter?.streamNamePrefixes,
        pageSize: this.options.pageSize ?? 500,
        pollIntervalMs: this.options.pollIntervalMs ?? 1_000,
        minLiveReadIntervalMs: this.options.minLiveReadIntervalMs ?? 10,
      },
      (ended) => this.subscriptions.delete(ended),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<Position> {
    const seq = await this.headSeq();
    return seq < 0n ? START_POSITION : positionOf(seq);
  }

  /** The LISTEN connection's backend pid, while it is up (for tests and diagnostics). */
  get listenerPid(): number | undefined {
    return this.listener?.pid;
  }

  /** Ends every subscription of this store, the LISTEN connection and the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.unsubscribe()));
    this.groupCommit.abort(new Error('The event store is closed'));
    await this.listener?.close();
    await this.pool.end();
  }

  /**
   * A subscription's page. Unfiltered: the next rows. Filtered: the server skips the rows the
   * prefixes do not want, looking at most `filterScanRows` rows and never past the head read in
   * the same statement (see `QUERIES.filteredPage`).
   */
  private async readPage(after: bigint, limit: number, prefixes: readonly string[] | undefined): Promise<PgSubscriptionPage> {
    if (prefixes === undefined) {
      const rows = await this.query<PgEventRow>('reading a subscription page', QUERIES.allForwards(after + 1n, limit));
      const events = rows.map(toRecordedEvent);
      return { events, scannedTo: events.length > 0 ? events[events.length - 1].position.commit : undefined, more: rows.length >= limit };
    }
    const rows = await this.query<PgFilteredPageRow>('reading a subscription page', QUERIES.filteredPage(after, limit, prefixes, this.filterScanRows));
    const head = rows[0]?.head ? BigInt(rows[0].head) : -1n;
    if (head <= after) return { events: [], scannedTo: undefined, more: false };
    const bound = head - after > this.filterScanRows ? after + this.filterScanRows : head;
    const events = rows.flatMap((row) => (row.seq === null ? [] : [toRecordedEvent(row)]));
    // A full page may leave wanted rows before `bound`: the next page starts after its last event.
    const full = events.length >= limit;
    return { events, scannedTo: full ? events[events.length - 1].position.commit : bound, more: full || bound < head };
  }

  private async headSeq(): Promise<bigint> {
    const [row] = await this.query<{ seq: string | null }>('reading the head position', QUERIES.head());
    return row?.seq ? BigInt(row.seq) : -1n;
  }

  private async query<R extends QueryResultRow>(what: string, query: QueryConfig): Promise<R[]> {
    return withRetries(what, this.retry, async () => (await this.pool.query<R>(query)).rows);
  }

  /**
   * One group through `cmk_append`. Repeating it after a transient failure is safe even when the
   * first attempt committed unseen: the same event ids come back as the original result. A unique
   * violation means some writer bypassed `cmk_append`; each append is then decided again on its
   * own against what that writer committed (a wrong expectation ends as a `ConcurrencyError`).
   */
  private async appendGroup(group: readonly PendingAppend[], afterViolation = false): Promise<(AppendResult | Error)[]> {
    const outcomes: (AppendResult | Error | undefined)[] = group.map((append) => {
      const repeated = repeatedIdIn(append);
      return repeated === undefined ? undefined : new DuplicateEventIdError(append.stream, repeated);
    });
    const sent = group.filter((_, i) => outcomes[i] === undefined);
    if (sent.length === 0) return outcomes as Error[];
    let decided: (AppendResult | Error)[];
    try {
      const rows = await this.query<AppendRow>(`appending to ${sent.length === 1 ? sent[0].stream : `${sent.length} streams`}`, QUERIES.append(appendParameters(sent)));
      decided = sent.map((append, i) => outcomeOf(append, rows[i]));
    } catch (error) {
      if (!uniqueViolationOf(error)) throw error;
      decided = [];
      for (const append of sent) {
        if (afterViolation) decided.push(new ConcurrencyError(append.stream, expectedText(append.options.expectedRevision), 'unknown'));
        else decided.push(...(await this.appendGroup([append], true)));
      }
    }
    let next = 0;
    const results = outcomes.map((outcome) => outcome ?? decided[next++]);
    if (results.some((result, i) => !(result instanceof Error) && group[i].events.length > 0)) {
      for (const waker of this.localWakers) waker();
    }
    return results;
  }
}

/** Opens the PostgreSQL event store, migrating its schema (safe when several processes start at once). */
export async function openPostgresEventStore(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
  return PostgresEventStore.open(options);
}
