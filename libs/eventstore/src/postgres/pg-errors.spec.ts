import { ConcurrencyError, EventStoreUnavailableError } from '@cmk/eventstore/port';
import { isTransientPgError, uniqueViolationOf, withRetries } from './pg-errors';

const pgError = (code: string, message = 'pg error', extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { code, ...extra });

describe('PostgreSQL error classification', () => {
  it.each([
    ['serialization failure', pgError('40001')],
    ['deadlock', pgError('40P01')],
    ['terminated backend', pgError('57P01')],
    ['server starting up', pgError('57P03')],
    ['too many connections', pgError('53300')],
    ['connection failure', pgError('08006')],
    ['standby during failover', pgError('25006')],
    ['refused socket', pgError('ECONNREFUSED')],
    ['reset socket', pgError('ECONNRESET')],
    ['driver: connection lost', new Error('Connection terminated unexpectedly')],
    ['pool: connect timeout', new Error('timeout exceeded when trying to connect')],
  ])('retries a %s', (_, error) => {
    expect(isTransientPgError(error)).toBe(true);
  });

  it.each([
    ['unique violation', pgError('23505')],
    ['syntax error', pgError('42601')],
    ['missing database', pgError('3D000')],
    ['bad password', pgError('28P01')],
    ['anything else', new Error('boom')],
  ])('does not retry a %s', (_, error) => {
    expect(isTransientPgError(error)).toBe(false);
  });

  it('names the constraint of a unique violation, and nothing else is one', () => {
    expect(uniqueViolationOf(pgError('23505', 'dup', { constraint: 'cmk_events_stream_revision' }))).toEqual({ constraint: 'cmk_events_stream_revision' });
    expect(uniqueViolationOf(pgError('40001'))).toBeUndefined();
  });
});

describe('withRetries', () => {
  it('repeats transient failures, then succeeds', async () => {
    let calls = 0;
    const retried: unknown[] = [];
    const result = await withRetries('reading', { initialDelayMs: 1, onRetry: (error) => retried.push(error) }, async () => {
      calls += 1;
      if (calls < 3) throw pgError('57P01');
      return 'read';
    });
    expect([result, calls, retried.length]).toEqual(['read', 3, 2]);
  });

  it('turns an outage that outlasts the budget into EventStoreUnavailableError, never a ConcurrencyError', async () => {
    let calls = 0;
    const failure = await withRetries('appending to s', { attempts: 4, initialDelayMs: 1 }, async () => {
      calls += 1;
      throw pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432');
    }).catch((error: unknown) => error);
    expect(calls).toBe(4);
    expect(failure).toBeInstanceOf(EventStoreUnavailableError);
    expect(failure).not.toBeInstanceOf(ConcurrencyError);
    expect((failure as Error).message).toBe('PostgreSQL event store unavailable: appending to s failed 4 times (connect ECONNREFUSED 127.0.0.1:5432)');
    expect((failure as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('lets every other failure through at once, unchanged', async () => {
    const original = pgError('42601', 'syntax error');
    let calls = 0;
    const failure = await withRetries('x', { initialDelayMs: 1 }, async () => {
      calls += 1;
      throw original;
    }).catch((error: unknown) => error);
    expect([failure, calls]).toEqual([original, 1]);
  });
});
