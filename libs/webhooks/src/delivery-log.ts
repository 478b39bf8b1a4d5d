import type { Redis } from 'ioredis';
import { webhookKeys } from './names';

export type DeliveryStatus = 'pending' | 'retrying' | 'delivered' | 'failed' | 'cancelled';

/** One delivery as `GET …/webhooks/:id/deliveries` shows it. */
export interface DeliveryRecord {
  readonly id: string;
  readonly webhookId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** HTTP status of the last answer, when there was one. */
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Deliveries kept per webhook, and how long a record lives. */
const KEEP = 100;
const TTL_SECONDS = 30 * 24 * 3600;

/**
 * The delivery log in Redis: a record per delivery and a capped, newest-first list per webhook.
 * Operational state (like job state), not history: the events themselves are the history.
 */
export class DeliveryLog {
  constructor(private readonly redis: Redis) {}

  /** Records a new delivery once; a replayed event finds the record there and leaves it alone. */
  async open(record: Omit<DeliveryRecord, 'status' | 'attempts' | 'lastStatusCode' | 'lastError' | 'updatedAt'>): Promise<boolean> {
    const full: DeliveryRecord = { ...record, status: 'pending', attempts: 0, lastStatusCode: null, lastError: null, updatedAt: record.createdAt };
    const created = await this.redis.set(webhookKeys.delivery(record.id), JSON.stringify(full), 'EX', TTL_SECONDS, 'NX');
    if (created === null) return false;
    await this.redis.multi().lpush(webhookKeys.deliveries(record.webhookId), record.id).ltrim(webhookKeys.deliveries(record.webhookId), 0, KEEP - 1).exec();
    return true;
  }

  async update(id: string, change: Partial<Pick<DeliveryRecord, 'status' | 'attempts' | 'lastStatusCode' | 'lastError'>>, at: string): Promise<void> {
    const current = await this.get(id);
    if (!current) return;
    await this.redis.set(webhookKeys.delivery(id), JSON.stringify({ ...current, ...change, updatedAt: at }), 'EX', TTL_SECONDS);
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const text = await this.redis.get(webhookKeys.delivery(id));
    return text ? (JSON.parse(text) as DeliveryRecord) : undefined;
  }

  /** Newest first, at most `limit`. */
  async list(webhookId: string, limit = 50): Promise<DeliveryRecord[]> {
    const ids = await this.redis.lrange(webhookKeys.deliveries(webhookId), 0, Math.max(0, limit - 1));
    if (ids.length === 0) return [];
    const texts = await this.redis.mget(ids.map((id) => webhookKeys.delivery(id)));
    return texts.filter((text): text is string => text !== null).map((text) => JSON.parse(text) as DeliveryRecord);
  }
}
