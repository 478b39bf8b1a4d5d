import { Redis } from 'ioredis';
import { RedisServer } from './redis-server';

export interface PrivateRedis {
  /** The server of this spec file (kill/restart it to test outages). */
  readonly server: RedisServer;
  /** A client connected to it. */
  readonly redis: Redis;
}

/**
 * Registers `beforeAll`/`afterAll` hooks that give the calling spec file its own `redis-server`
 * on a free port and a client, and stop both afterwards. Read the properties inside tests.
 */
export function usePrivateRedis(options: { appendOnly?: boolean } = {}): PrivateRedis {
  let server: RedisServer | undefined;
  let redis: Redis | undefined;
  beforeAll(async () => {
    server = await RedisServer.start(options);
    redis = new Redis(server.url, { maxRetriesPerRequest: 3 });
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('usePrivateRedis: read it inside a test or hook, after beforeAll');
    return value;
  };
  return {
    get server() {
      return started(server);
    },
    get redis() {
      return started(redis);
    },
  };
}
