import { describeEventStore, eventStoreKind, redactUrl } from './event-store';
import type { CommonConfig } from './config';

const config = (eventStoreUrl: string | undefined): CommonConfig => ({ eventStoreUrl, pgPoolMax: 10, dataDir: '/data', redisUrl: 'redis://r', logLevel: 'log', logFormat: 'text', shutdownGraceMs: 10_000 });

describe('event store selection', () => {
  it('picks the adapter from the URL scheme alone', () => {
    expect(eventStoreKind(config(undefined))).toBe('sqlite');
    expect(eventStoreKind(config('postgres://db/cmk'))).toBe('postgres');
    expect(eventStoreKind(config('postgresql://db/cmk'))).toBe('postgres');
    expect(eventStoreKind(config('esdb://a:2113,b:2113?tls=true'))).toBe('esdb');
    expect(eventStoreKind(config('kurrentdb+discover://cluster:2113'))).toBe('esdb');
  });

  it('never shows a password in what it logs', () => {
    expect(describeEventStore(config('postgres://cmk:hunter2@db:5432/cmk'))).toBe('PostgreSQL (postgres://***@db:5432/cmk, pool 10)');
    expect(redactUrl('postgresql://db/cmk?user=cmk&password=hunter2&sslmode=require')).toBe('postgresql://db/cmk?user=cmk&password=***&sslmode=require');
  });
});
