import type { Redis } from 'ioredis';
import { formatPosition, parsePosition, type Position } from '@cmk/eventstore';

// Sets the position only when it is ahead of the stored one (compared by commit position).
const ADVANCE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current then
  local c = tonumber(string.match(current, '^(-?%d+)/'))
  if c >= tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1`;

/** A subscriber's resume position in Redis. */
export interface ForwardCheckpoint {
  load(): Promise<Position | undefined>;
  /** Moves the position forward only: a slower replica or a replay never drags it back. */
  advance(position: Position): Promise<void>;
}

/**
 * The resume position of a log follower that is not a projection (the re-encryption and webhook
 * dispatchers, the audit chainer): one Redis key, advanced atomically and only forwards, so
 * several replicas following the same log can share it.
 */
export function forwardCheckpoint(redis: Redis, key: string): ForwardCheckpoint {
  return {
    async load() {
      const text = await redis.get(key);
      return text ? parsePosition(text) : undefined;
    },
    async advance(position) {
      await redis.eval(ADVANCE_SCRIPT, 1, key, formatPosition(position), String(position.commit));
    },
  };
}
