import Redis from 'ioredis';
import { RedisServer } from './redis-server';

describe('RedisServer (test harness)', () => {
  it('starts a private server, survives kill and restart with append-only data', async () => {
    const server = await RedisServer.start({ appendOnly: true });
    const client = new Redis(server.url, { maxRetriesPerRequest: null, lazyConnect: true });
    try {
      await client.connect();
      await client.set('k', 'v');
      await server.kill();
      await server.restart();
      expect(await client.get('k')).toBe('v');
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});
