import type { Redis } from 'ioredis';

/** Every key under a namespace with its value, in a form `toEqual` compares exactly. */
export type RedisDump = Record<string, unknown>;

export async function dumpNamespace(redis: Redis, namespace: string, options: { withCheckpoint?: boolean } = {}): Promise<RedisDump> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const dump: RedisDump = {};
  for (const key of keys.sort()) {
    if (!options.withCheckpoint && key === `${namespace}:checkpoint`) continue;
    const type = await redis.type(key);
    if (type === 'string') {
      const text = (await redis.get(key)) ?? '';
      dump[key] = key.endsWith(':checkpoint') ? text : JSON.parse(text);
    } else if (type === 'zset') dump[key] = await redis.zrange(key, '0', '-1', 'WITHSCORES');
    else if (type === 'set') dump[key] = (await redis.smembers(key)).sort();
    else throw new Error(`unexpected ${type} at ${key}`);
  }
  return dump;
}
