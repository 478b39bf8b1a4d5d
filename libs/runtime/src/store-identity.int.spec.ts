import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresEventStore, openSqliteEventStore } from '@cmk/eventstore';
import Redis from 'ioredis';
import { PostgresTestDatabase, RedisServer } from '@cmk/testing';
import { storeIdentity } from './store-identity';
import { claimRedisForStore, RedisOwnedByAnotherStoreError } from './redis-ownership';

describe('storeIdentity', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('is created once, shared by every client of a store, and differs between stores', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmk-identity-'));
    const other = mkdtempSync(join(tmpdir(), 'cmk-identity-'));
    dirs.push(dir, other);
    const a = await openSqliteEventStore({ path: join(dir, 'events.sqlite') });
    const b = await openSqliteEventStore({ path: join(dir, 'events.sqlite') });
    const c = await openSqliteEventStore({ path: join(other, 'events.sqlite') });
    try {
      const racing = await Promise.all([storeIdentity(a), storeIdentity(b), storeIdentity(a), storeIdentity(b)]);
      expect(new Set(racing).size).toBe(1);
      expect(racing[0]).toMatch(/^[a-f0-9]{12}$/);
      expect(await storeIdentity(b)).toBe(racing[0]);
      expect(await storeIdentity(c)).not.toBe(racing[0]);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });
});

describe('storeIdentity on PostgreSQL', () => {
  it('is created once by racing processes, and two databases are two stores that cannot share a Redis', async () => {
    const [one, two] = await Promise.all([PostgresTestDatabase.create('identity'), PostgresTestDatabase.create('identity')]);
    const a = await openPostgresEventStore({ url: one.url });
    const b = await openPostgresEventStore({ url: one.url });
    const c = await openPostgresEventStore({ url: two.url });
    const server = await RedisServer.start();
    const redis = new Redis(server.url, { maxRetriesPerRequest: null });
    try {
      const racing = await Promise.all([storeIdentity(a), storeIdentity(b), storeIdentity(a), storeIdentity(b)]);
      expect(new Set(racing).size).toBe(1);
      const other = await storeIdentity(c);
      expect(other).not.toBe(racing[0]);
      await claimRedisForStore(redis, server.url, racing[0]);
      expect(await claimRedisForStore(redis, server.url, other).catch((error: unknown) => error)).toBeInstanceOf(RedisOwnedByAnotherStoreError);
    } finally {
      redis.disconnect();
      await server.stop();
      await Promise.all([a.close(), b.close(), c.close()]);
      await Promise.all([one.drop(), two.drop()]);
    }
  });
});

describe('claimRedisForStore', () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await RedisServer.start();
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('lets the first store claim a Redis database, accepts it again, and refuses another store', async () => {
    await claimRedisForStore(redis, server.url, 'store-a');
    await claimRedisForStore(redis, server.url, 'store-a');
    const refused = await claimRedisForStore(redis, server.url, 'store-b').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RedisOwnedByAnotherStoreError);
    expect((refused as Error).message).toContain('FLUSHDB');
    await redis.flushdb();
    await claimRedisForStore(redis, server.url, 'store-b');
  });

  it('refuses a database that holds checkpoints but no owner (written by an unknown store)', async () => {
    await redis.flushdb();
    await redis.set('rm:v1:checkpoint', '6/6');
    const refused = await claimRedisForStore(redis, server.url, 'store-c', ['rm:v1:checkpoint']).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RedisOwnedByAnotherStoreError);
    expect(await redis.get('cmk:event-store-id')).toBeNull();
    await redis.del('rm:v1:checkpoint');
    await claimRedisForStore(redis, server.url, 'store-c', ['rm:v1:checkpoint']);
  });
});
