import { Redis } from 'ioredis';
import { RedisServer, waitFor } from '@cmk/testing';
import { RedisThrottlerStorage } from './redis-throttler-storage';

/** The rate limiter's storage against a real redis-server: counts, blocks, shares, fails open. */
describe('RedisThrottlerStorage (real Redis)', () => {
  let server: RedisServer;
  const clients: Redis[] = [];

  beforeAll(async () => {
    server = await RedisServer.start();
  });

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await server?.stop();
  });

  async function connect(): Promise<Redis> {
    const client = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
    client.on('error', () => undefined);
    clients.push(client);
    await waitFor(() => client.status === 'ready', { description: 'the connection' });
    return client;
  }

  const HOUR = 3_600_000;

  it('counts hits in one window, blocks past the limit, and says when to retry (in seconds)', async () => {
    const storage = new RedisThrottlerStorage(await connect());
    const hits = [];
    for (let i = 0; i < 4; i += 1) hits.push(await storage.increment('count', HOUR, 3, HOUR, 'default'));
    expect(hits.map((hit) => [hit.totalHits, hit.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ]);
    expect(hits[0].timeToExpire).toBe(3600);
    expect(hits[3].timeToBlockExpire).toBe(3600);
    // Blocked: not counted further, still blocked.
    const again = await storage.increment('count', HOUR, 3, HOUR, 'default');
    expect(again).toMatchObject({ totalHits: 4, isBlocked: true });
  });

  it('shares one budget between two replicas (two connections), without losing a hit under concurrency', async () => {
    const first = new RedisThrottlerStorage(await connect());
    const second = new RedisThrottlerStorage(await connect());
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? first : second).increment('shared', HOUR, 25, HOUR, 'default')));
    expect(results.filter((result) => !result.isBlocked)).toHaveLength(25);
    expect(results.filter((result) => result.isBlocked)).toHaveLength(15);
    expect(results.map((result) => result.totalHits).sort((a, b) => a - b).slice(0, 26)).toEqual(Array.from({ length: 26 }, (_, i) => i + 1));
  });

  it('starts a new window once the old one has expired', async () => {
    const storage = new RedisThrottlerStorage(await connect());
    expect(await storage.increment('short', 150, 1, 150, 'default')).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(await storage.increment('short', 150, 1, 150, 'default')).toMatchObject({ isBlocked: true });
    const fresh = await waitFor(async () => {
      const hit = await storage.increment('short', 150, 1, 150, 'default');
      return hit.isBlocked ? undefined : hit;
    }, { description: 'a new window' });
    expect(fresh.totalHits).toBe(1);
  });

  it('loads its script again after the server forgot it (SCRIPT FLUSH, restart)', async () => {
    const redis = await connect();
    const storage = new RedisThrottlerStorage(redis);
    await storage.increment('flush', HOUR, 10, HOUR, 'default');
    await redis.script('FLUSH');
    expect(await storage.increment('flush', HOUR, 10, HOUR, 'default')).toMatchObject({ totalHits: 2, isBlocked: false });
    expect(storage.uncounted).toBe(0);
  });

  it('keeps each budget under a Redis Cluster hash tag, expiring with its window', async () => {
    const redis = await connect();
    await new RedisThrottlerStorage(redis).increment('secrets:token:abc', HOUR, 10, HOUR, 'default');
    expect(await redis.pttl('cmk:rate:{secrets:token:abc}:hits')).toBeGreaterThan(HOUR - 60_000);
  });

  it('lets a request through uncounted when its count does not come back in time (a stalled server)', async () => {
    const storage = new RedisThrottlerStorage(await connect(), { timeoutMs: 100 });
    const admin = await connect();
    await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
    expect(await storage.increment('stalled', HOUR, 1, HOUR, 'default')).toMatchObject({ totalHits: 0, isBlocked: false });
    expect(storage.uncounted).toBe(1);
    await admin.call('CLIENT', 'UNPAUSE');
  });

  it('fails open while Redis is down: requests pass uncounted instead of waiting for a reconnect', async () => {
    const redis = await connect();
    let up = true;
    const storage = new RedisThrottlerStorage(redis, { redisUp: () => up });
    up = false;
    expect(await storage.increment('outage', HOUR, 1, HOUR, 'default')).toMatchObject({ totalHits: 0, isBlocked: false });
    expect(storage.uncounted).toBe(1);
    up = true;
    await server.kill();
    await waitFor(() => redis.status !== 'ready', { description: 'the connection to drop' });
    expect(await storage.increment('outage', HOUR, 1, HOUR, 'default')).toMatchObject({ isBlocked: false });
    expect(storage.uncounted).toBe(2);
    await server.restart();
    await waitFor(() => clients.every((client) => client.status === 'ready'), { description: 'the connections to come back' });
    expect(await storage.increment('outage', HOUR, 1, HOUR, 'default')).toMatchObject({ totalHits: 1, isBlocked: false });
  });
});
