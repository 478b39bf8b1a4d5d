import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { type AllSubscription, type AppendOptions, type AppendResult, type EventData, type EventStore, type ReadAllOptions, type ReadStreamOptions, type RecordedEvent, type SubscribeToAllOptions, START_POSITION, type Position } from '@cmk/eventstore/port';
import { appendInTransaction } from './sqlite-append';
import { GroupCommit } from './group-commit';
import { EventStatements, filteredPageParameters, MAX_SEQ, NO_LIMIT, positionOf, toRecordedEvent } from './sqlite-rows';
import { configureConnection, migrate } from './sqlite-schema';
import { SqliteAllSubscription, type SubscriptionPage } from './sqlite-subscription';

export interface SqliteEventStoreOptions {
  /** The database file; its directory is created. `':memory:'` gives a private, single-process store. */
  readonly path: string;
  /** How often a live subscription polls the file for other processes' appends. Default 25 ms. */
  readonly pollIntervalMs?: number;
  /** Rows a subscription reads per page, in catch-up and live. Default 500. */
  readonly pageSize?: number;
  /**
   * Most rows one page of a filtered subscription looks at (SQLite skips the unwanted ones; the
   * page still holds at most `pageSize` wanted rows). Default 20 000.
   */
  readonly filterScanRows?: number;
  /**
   * How long a statement waits for another process's write lock before failing with
   * `SQLITE_BUSY` (which is never turned into a `ConcurrencyError`). It blocks the event loop
   * while it waits: better-sqlite3 is synchronous. Default 5000 ms.
   */
  readonly busyTimeoutMs?: number;
}

/**
 * The embedded event store: one SQLite file in WAL mode that the api and worker processes can
 * open at the same time. See libs/eventstore/README.md for the guarantees and their limits.
 */
export class SqliteEventStore implements EventStore {
  private readonly statements: EventStatements;
  private readonly subscriptions = new Set<SqliteAllSubscription>();
  private readonly appendListeners = new Set<() => void>();
  private readonly groupCommit: GroupCommit;
  private readonly pollIntervalMs: number;
  private readonly pageSize: number;
  private readonly filterScanRows: bigint;

  private constructor(
    private readonly db: Database,
    options: SqliteEventStoreOptions,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 25;
    this.pageSize = options.pageSize ?? 500;
    this.filterScanRows = BigInt(Math.max(1, options.filterScanRows ?? 20_000));
    this.statements = new EventStatements(db);
    // The group runs as BEGIN IMMEDIATE: taking the write lock up front means a transaction that
    // reads, then writes, waits for another process instead of failing with SQLITE_BUSY_SNAPSHOT.
    this.groupCommit = new GroupCommit(
      db,
      (stream: string, events: readonly EventData[], appendOptions: AppendOptions) =>
        appendInTransaction(this.statements, stream, events, appendOptions.expectedRevision ?? 'any', Date.now()),
      () => {
        for (const listener of this.appendListeners) listener();
      },
    );
  }

  /** Opens (creating if needed) the file, its directory and the schema. */
  static open(options: SqliteEventStoreOptions): SqliteEventStore {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    const db = new BetterSqlite3(options.path, { timeout: options.busyTimeoutMs ?? 5_000 });
    try {
      db.defaultSafeIntegers(true);
      configureConnection(db);
      migrate(db);
      return new SqliteEventStore(db, options);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Concurrent appends are group-committed (see `GroupCommit`): one transaction, one fsync. */
  appendToStream(streamName: string, events: readonly EventData[], options: AppendOptions = {}): Promise<AppendResult> {
    if (!this.db.open) return Promise.reject(new Error('The event store is closed'));
    return this.groupCommit.append(streamName, events, options);
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const limit = options.maxCount ?? NO_LIMIT;
    const from = options.fromRevision;
    const rows =
      options.direction === 'backwards'
        ? this.statements.streamBackwards.all(streamName, revisionBound(from ?? 'end'), limit)
        : this.statements.streamForwards.all(streamName, revisionBound(from ?? 'start'), limit);
    return rows.map(toRecordedEvent);
  }

  /** One synchronous pass over the streams: no event-loop turn per stream. */
  async readStreams(streamNames: readonly string[]): Promise<RecordedEvent[][]> {
    return streamNames.map((name) => this.statements.streamForwards.all(name, 0n, NO_LIMIT).map(toRecordedEvent));
  }

  /** Both directions include the event at `fromPosition`. */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const limit = options.maxCount ?? NO_LIMIT;
    const from = options.fromPosition;
    const rows =
      options.direction === 'backwards'
        ? this.statements.allBackwards.all(seqBound(from ?? 'end'), limit)
        : this.statements.allForwards.all(seqBound(from ?? 'start'), limit);
    return rows.map(toRecordedEvent);
  }

  subscribeToAll(options: SubscribeToAllOptions): AllSubscription {
    const from = options.fromPosition;
    const start = from === 'start' ? -1n : from === 'end' ? this.headSeq() : from.commit;
    const subscription = new SqliteAllSubscription(
      {
        readPage: this.pageReader(options.filter?.streamNamePrefixes),
        onLocalAppend: (listener) => {
          this.appendListeners.add(listener);
          return () => this.appendListeners.delete(listener);
        },
      },
      { from: start, pageSize: this.pageSize, pollIntervalMs: this.pollIntervalMs },
      (ended) => this.subscriptions.delete(ended),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<Position> {
    const seq = this.headSeq();
    return seq < 0n ? START_POSITION : positionOf(seq);
  }

  /**
   * Takes and releases the write lock, waiting at most `waitMs` (the busy timeout of this one
   * statement), so a health probe blocks the event loop only briefly behind another process's
   * lock. Synchronous end to end: no append of this connection can interleave.
   */
  async probeWriteLock(waitMs: number): Promise<void> {
    if (!this.db.open) throw new Error('The event store is closed');
    const timeout = Number(this.db.pragma('busy_timeout', { simple: true }));
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(waitMs))}`);
    try {
      this.db.exec('BEGIN IMMEDIATE');
      this.db.exec('ROLLBACK');
    } finally {
      this.db.pragma(`busy_timeout = ${timeout}`);
    }
  }

  /** Ends every subscription of this store, then closes the connection. */
  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.unsubscribe()));
    this.groupCommit.abort(new Error('The event store is closed'));
    if (this.db.open) this.db.close();
  }

  /**
   * A subscription's page reader. Unfiltered: the next rows. Filtered: SQLite skips the rows
   * the prefixes do not want (they are never built as JavaScript objects, their payloads never
   * read), looking at most `filterScanRows` rows, and never past the head as read first: `seq`
   * order is commit order, so no row at or below that head can commit later.
   */
  private pageReader(prefixes: readonly string[] | undefined): (after: bigint, limit: number) => SubscriptionPage {
    if (prefixes === undefined) {
      return (after, limit) => {
        const rows = this.statements.allAfter.all(after, limit);
        return { rows, scannedTo: rows.length > 0 ? rows[rows.length - 1].seq : undefined };
      };
    }
    const filtered = this.statements.filteredAfter(prefixes.length);
    return (after, limit) => {
      const head = this.headSeq();
      if (head <= after) return { rows: [], scannedTo: undefined };
      const bound = head - after > this.filterScanRows ? after + this.filterScanRows : head;
      const rows = filtered.all(filteredPageParameters(prefixes, after, bound, limit));
      // A full page may leave wanted rows before `bound`: the next page starts after its last row.
      return { rows, scannedTo: rows.length >= limit ? rows[rows.length - 1].seq : bound };
    };
  }

  private headSeq(): bigint {
    return this.statements.head.get()?.seq ?? -1n;
  }
}

function revisionBound(from: bigint | 'start' | 'end'): bigint {
  return from === 'start' ? 0n : from === 'end' ? MAX_SEQ : from;
}

/** Positions are `seq` in both halves, so `commit` alone locates an event. */
function seqBound(from: Position | 'start' | 'end'): bigint {
  return from === 'start' ? 0n : from === 'end' ? MAX_SEQ : from.commit;
}

/** Opens the embedded event store at `options.path`, creating the directory and the schema. */
export async function openSqliteEventStore(options: SqliteEventStoreOptions): Promise<SqliteEventStore> {
  return SqliteEventStore.open(options);
}
