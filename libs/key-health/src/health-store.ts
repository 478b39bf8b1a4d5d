import type { Redis } from 'ioredis';
import type { HealthRecord } from '@cmk/domain';
import { healthKeys } from './names';

/**
 * The live health of every probed key, in Redis: the declared state with its reason, code and
 * message, `since`, `checkedAt` and any decision awaiting confirmation. Like the re-encryption
 * counters it is operational state, not history: the history is the `KeyHealthChanged` events.
 * Updates are compare-and-set (a script), so a scheduled probe and an admin's check of the same
 * key never lose each other's count.
 */
export class HealthStore {
  constructor(private readonly redis: Redis) {}

  async get(orgId: string, keyId: string): Promise<HealthRecord | undefined> {
    return parse(await this.redis.hget(healthKeys.records(orgId), keyId));
  }

  async list(orgId: string): Promise<Record<string, HealthRecord>> {
    const hash = await this.redis.hgetall(healthKeys.records(orgId));
    const out: Record<string, HealthRecord> = {};
    for (const [keyId, text] of Object.entries(hash)) {
      const record = parse(text);
      if (record) out[keyId] = record;
    }
    return out;
  }

  /** Every record of every org (for metrics). */
  async all(): Promise<HealthRecord[]> {
    const records: HealthRecord[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', healthKeys.recordsPattern, 'COUNT', 200);
      cursor = next;
      for (const key of keys) records.push(...Object.values(await this.list(healthKeys.orgOf(key))));
    } while (cursor !== '0');
    return records;
  }

  /** Applies `next` to the current record and stores the result, re-reading if another writer won. */
  async update(orgId: string, keyId: string, next: (previous: HealthRecord | undefined) => HealthRecord): Promise<{ previous: HealthRecord | undefined; current: HealthRecord }> {
    const key = healthKeys.records(orgId);
    for (let attempt = 1; ; attempt++) {
      const text = await this.redis.hget(key, keyId);
      const previous = parse(text);
      const current = next(previous);
      const stored = await this.redis.eval(COMPARE_AND_SET, 1, key, keyId, text ?? '', text === null ? '1' : '0', JSON.stringify(current));
      if (stored === 1) return { previous, current };
      if (attempt >= 20) throw new Error(`key health of ${orgId}/${keyId} kept changing under us`);
    }
  }

  /** Forgets a key that is no longer probed (disabled). */
  async remove(orgId: string, keyId: string): Promise<void> {
    await this.redis.hdel(healthKeys.records(orgId), keyId);
  }
}

// Writes the new record only if the field still holds what the caller read (ARGV[3] = 1: absent).
const COMPARE_AND_SET = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[3] == '1' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
return 1`;

function parse(text: string | null | undefined): HealthRecord | undefined {
  return text ? (JSON.parse(text) as HealthRecord) : undefined;
}
