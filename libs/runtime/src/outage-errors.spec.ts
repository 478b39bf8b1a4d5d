import { outageDependency } from './outage-errors';

/** A node-postgres server error: an Error with a SQLSTATE `code` and a `severity`. */
function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, severity: 'FATAL' });
}

describe('outageDependency', () => {
  it('names the event store for PostgreSQL refusing or dropping connections', () => {
    expect(outageDependency(pgError('55000', 'database "cmk" is not currently accepting connections'))).toBe('eventstore');
    expect(outageDependency(pgError('57P01', 'terminating connection due to administrator command'))).toBe('eventstore');
    expect(outageDependency(pgError('57P03', 'the database system is starting up'))).toBe('eventstore');
    expect(outageDependency(pgError('08006', 'connection failure'))).toBe('eventstore');
    expect(outageDependency(pgError('53300', 'sorry, too many clients already'))).toBe('eventstore');
    expect(outageDependency(new Error('Connection terminated unexpectedly'))).toBe('eventstore');
    // Wrapped, as a batch job reports it.
    expect(outageDependency(new Error('100 data key(s) hit transient failures (first: dk-1: database "cmk" is not currently accepting connections)'))).toBe('eventstore');
  });

  it('leaves other PostgreSQL errors alone: a unique violation or a syntax error is no outage', () => {
    expect(outageDependency(pgError('23505', 'duplicate key value violates unique constraint'))).toBeUndefined();
    expect(outageDependency(pgError('42601', 'syntax error at or near "SELEC"'))).toBeUndefined();
    expect(outageDependency(pgError('55000', 'object is not in prerequisite state'))).toBeUndefined();
  });

  it('keeps the other stores and Redis as they were', () => {
    expect(outageDependency(Object.assign(new Error('database is locked'), { name: 'SqliteError', code: 'SQLITE_BUSY' }))).toBe('eventstore');
    expect(outageDependency(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }))).toBe('redis');
    expect(outageDependency(Object.assign(new Error('KMS unreachable'), { code: 'ECONNREFUSED', $metadata: {} }))).toBeUndefined();
  });
});
