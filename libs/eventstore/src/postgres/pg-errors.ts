import { EventStoreUnavailableError } from '@cmk/eventstore/port';

/**
 * SQLSTATEs after which running the same statement again is safe and may succeed: the
 * transaction was rolled back (serialisation failure, deadlock) or the server is going away or
 * refusing connections for now (shutdown, failover, too many connections, connection failures).
 */
const TRANSIENT_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '57P01', // admin_shutdown (also pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  '53300', // too_many_connections
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '08006', // connection_failure
  '25006', // read_only_sql_transaction: connected to a standby during a failover
]);

/** Socket-level failures from Node, and node-postgres's own words for a lost connection. */
const TRANSIENT_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
const TRANSIENT_MESSAGES = [/connection terminated/i, /timeout exceeded when trying to connect/i, /not queryable/i, /connection.*(closed|ended)/i];

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** True when the failure says nothing about the data: the same call may succeed if repeated. */
export function isTransientPgError(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined && (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SOCKET_CODES.has(code))) return true;
  if (error instanceof AggregateError) return error.errors.some(isTransientPgError);
  const message = error instanceof Error ? error.message : '';
  return code === undefined && TRANSIENT_MESSAGES.some((pattern) => pattern.test(message));
}

/** A unique violation (`23505`) and the constraint it names, if it is one. */
export function uniqueViolationOf(error: unknown): { constraint: string | undefined } | undefined {
  if (codeOf(error) !== '23505') return undefined;
  const constraint = (error as { constraint?: unknown }).constraint;
  return { constraint: typeof constraint === 'string' ? constraint : undefined };
}

export interface RetryOptions {
  /** Attempts in all, the first included. Default 5. */
  readonly attempts?: number;
  /** Delay before the first retry, doubled after each. Default 100 ms. */
  readonly initialDelayMs?: number;
  /** Longest delay between attempts. Default 2000 ms. */
  readonly maxDelayMs?: number;
  /** Called before each retry with the failure that caused it (for logs and tests). */
  readonly onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * Runs `operation`, repeating it after transient failures only, with exponential backoff. Every
 * caller passes an operation that is safe to repeat (reads; appends, whose event ids make a
 * repeat of a write that did commit return the original result). When the budget runs out the
 * failure becomes an `EventStoreUnavailableError` naming what was attempted; any other failure
 * propagates unchanged.
 */
export async function withRetries<T>(what: string, options: RetryOptions, operation: () => Promise<T>): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 5);
  let delay = options.initialDelayMs ?? 100;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (!isTransientPgError(error)) throw error;
      if (attempt >= attempts) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new EventStoreUnavailableError(`PostgreSQL event store unavailable: ${what} failed ${attempts} times (${reason})`, { cause: error });
      }
      options.onRetry?.(error, attempt);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, options.maxDelayMs ?? 2_000);
    }
  }
}
