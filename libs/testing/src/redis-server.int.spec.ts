import { connect } from 'node:net';
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

  it('requires the password when given one, and its url carries it', async () => {
    const server = await RedisServer.start({ password: 'p@ss word"42' });
    const client = new Redis(server.url, { maxRetriesPerRequest: 0, lazyConnect: true });
    try {
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      // Without the password: a bare PING on a socket.
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1', () => socket.write('PING\r\n'));
        socket.once('data', (data) => {
          socket.destroy();
          resolve(data.toString());
        });
        socket.once('error', reject);
      });
      expect(reply).toMatch(/^-NOAUTH/);
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});
