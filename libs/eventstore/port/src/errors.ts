/**
 * The only error a store adapter maps a wrong expected revision to. Callers retry or answer 409;
 * every other failure (I/O, outage, timeout) stays what it is, so an outage never looks like a
 * conflict.
 */
export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  constructor(
    readonly streamName: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`Wrong expected revision on ${streamName}: expected ${expected}, actual ${actual}`);
  }
}

/** Raised when an append reuses an event id with content or a position that does not match. */
export class DuplicateEventIdError extends Error {
  override readonly name = 'DuplicateEventIdError';
  constructor(
    readonly streamName: string,
    readonly eventId: string,
  ) {
    super(`Event id ${eventId} already exists with a different write on ${streamName}`);
  }
}

/**
 * The store could not be reached (connection refused or dropped, failover, pool exhausted) and
 * retrying did not help within the adapter's budget. Never a `ConcurrencyError`: whether the
 * write happened is unknown, so the caller retries with the same event ids (idempotent) or
 * answers 503. `cause` holds the driver's last error.
 */
export class EventStoreUnavailableError extends Error {
  override readonly name = 'EventStoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
