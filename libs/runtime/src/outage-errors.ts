/** The outside services a process depends on; the label in logs, `/readyz` and metrics. */
export type Dependency = 'redis' | 'eventstore';

export const DEPENDENCIES: readonly Dependency[] = ['redis', 'eventstore'];

// Socket-level failures: the peer is gone or unreachable, not a bad request.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
// @eventstore/db-client's error `type`s that mean "the server could not be reached or answer".
const ESDB_OUTAGE_TYPES = new Set(['unavailable', 'deadline-exceeded', 'timeout', 'not-leader']);

function field(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;
}

/**
 * Which dependency an error says is unavailable, or `undefined` for any other failure (a bad
 * command, a bug, a KMS refusal). Only outages are collapsed into one line per outage; every
 * other error keeps its own log line. The event store's client speaks gRPC, so raw socket
 * errors and ioredis's own messages can only come from Redis.
 */
export function outageDependency(error: unknown): Dependency | undefined {
  const code = field(error, 'code');
  const name = field(error, 'name');
  const type = field(error, 'type');
  if (name === 'EventStoreUnavailableError') return 'eventstore';
  if (name === 'SqliteError' && typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code)) return 'eventstore';
  if (typeof type === 'string' && ESDB_OUTAGE_TYPES.has(type)) return 'eventstore';
  // node-postgres: SQLSTATEs saying the database cannot serve now (class 08 connection
  // exceptions, 57P01-57P03 shutdown / cannot connect now, 53300 too many connections, a database
  // not accepting connections) and the client's own message for a dropped connection.
  const text = error instanceof Error ? error.message : '';
  if (typeof code === 'string' && field(error, 'severity') !== undefined && (/^08|^57P0[1-3]$|^53300$/.test(code) || /not currently accepting connections/.test(text))) return 'eventstore';
  if (/^Connection terminated unexpectedly|terminating connection due to administrator command/.test(text)) return 'eventstore';
  // The AWS SDK's network errors (KMS/STS unreachable) carry `$metadata`: not ours to collapse.
  if (field(error, '$metadata') !== undefined) return undefined;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return 'redis';
  if (name === 'MaxRetriesPerRequestError') return 'redis';
  const message = error instanceof Error ? error.message : '';
  if (/^Connection is closed|^Stream isn't writeable|^connect E[A-Z]+ /.test(message)) return 'redis';
  // Also when wrapped, e.g. a batch job's "N data key(s) hit transient failures (first: …)".
  if (/SQLITE_BUSY|database is locked|\b14 UNAVAILABLE\b|\b4 DEADLINE_EXCEEDED\b|not currently accepting connections|terminating connection due to administrator command|Connection terminated unexpectedly/.test(message)) return 'eventstore';
  return undefined;
}

/** One line, no stack: what an outage log line says about its cause. */
export function errorSummary(error: unknown): string {
  if (error instanceof Error) {
    const code = field(error, 'code');
    const text = error.message.split('\n')[0] ?? error.name;
    return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
  }
  return String(error);
}
