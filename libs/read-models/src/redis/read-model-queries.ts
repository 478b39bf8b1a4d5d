import { comparePositions, parsePosition, type Position } from '@cmk/eventstore';
import type { Redis } from 'ioredis';
import { initialKeyListDoc, type KeyListDoc } from '../projections/key-list';
import { initialBannerDoc, type ReencryptionBanner, type ReencryptionBannerDoc } from '../projections/reencryption-banner';
import { readModelKeys, type ReadModelKeys } from './keys';
import { parseDoc } from './projection-writer';
import { PAGE_SCRIPT, runScript } from './scripts';

export interface ListDataKeysOptions {
  /** `nextCursor` of the previous page; omit for the first page. */
  readonly cursor?: string;
  /** Page size, 1–10 000. Default 1 000. */
  readonly limit?: number;
}

export interface DataKeyPage {
  readonly ids: string[];
  /** Pass back to get the next page; null when this page reached the end of the set. */
  readonly nextCursor: string | null;
}

const DEFAULT_PAGE = 1000;
const MAX_PAGE = 10_000;

/** Cursor text: `<score>:<dataKeyId>` of the last id handed out (opaque to callers). */
function parseCursor(cursor: string | undefined): [string, string] {
  if (cursor === undefined) return ['-inf', ''];
  const at = cursor.indexOf(':');
  const score = cursor.slice(0, at);
  if (at <= 0 || !/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(score)) throw new Error(`Not a data key cursor: ${JSON.stringify(cursor)}`);
  return [score, cursor.slice(at + 1)];
}

/**
 * Reads the read models. Needs only a Redis client, so the api can query without running the
 * projections itself; pair it with `ProjectionRunner.waitForPosition` (same process) or
 * `waitForCheckpoint` (any process) to read your own writes.
 */
export class ReadModelQueries {
  readonly keys: ReadModelKeys;

  /** `namespace` defaults to `rm:v1` (see `keys.ts`). */
  constructor(
    private readonly redis: Redis,
    namespace?: string,
  ) {
    this.keys = readModelKeys(namespace);
  }

  /** The org's key list; an org without keyring events has no keys and the platform default. */
  async getKeyList(orgId: string): Promise<KeyListDoc> {
    return parseDoc<KeyListDoc>(await this.redis.get(this.keys.keyList(orgId))) ?? initialKeyListDoc(orgId);
  }

  /** The current or last re-encryption run; null before the first. */
  async getBanner(orgId: string): Promise<ReencryptionBanner | null> {
    return (await this.getBannerDoc(orgId)).current;
  }

  /** Runs before the current one, newest first (at most 20). */
  async getHistory(orgId: string): Promise<readonly ReencryptionBanner[]> {
    return (await this.getBannerDoc(orgId)).history;
  }

  async getBannerDoc(orgId: string): Promise<ReencryptionBannerDoc> {
    return parseDoc<ReencryptionBannerDoc>(await this.redis.get(this.keys.banner(orgId))) ?? initialBannerDoc(orgId);
  }

  /**
   * Pages through the data keys wrapped by `wrappingKeyId`, oldest placement first. The cursor is
   * a position in the set's order, not an offset, so keys leaving the set while a caller pages
   * (re-encryption moving them away) never make it skip or repeat one; keys arriving land after
   * every cursor already handed out.
   */
  async listDataKeys(orgId: string, wrappingKeyId: string, options: ListDataKeysOptions = {}): Promise<DataKeyPage> {
    const limit = options.limit ?? DEFAULT_PAGE;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new RangeError(`limit must be 1..${MAX_PAGE}, got ${limit}`);
    const [score, member] = parseCursor(options.cursor);
    const reply = await runScript(this.redis, PAGE_SCRIPT, [this.keys.dataKeys(orgId, wrappingKeyId)], [score, member, limit]);
    const flat = Array.isArray(reply) ? reply.map(String) : [];
    const ids: string[] = [];
    for (let i = 0; i < flat.length; i += 2) ids.push(flat[i]);
    const nextCursor = ids.length === limit ? `${flat[flat.length - 1]}:${ids[ids.length - 1]}` : null;
    return { ids, nextCursor };
  }

  /** Data keys per wrapping key (`platform` or a CMK id) for `GET …/data-keys/summary`. */
  async countsByWrappingKey(orgId: string): Promise<Record<string, number>> {
    const wrappers = (await this.redis.smembers(this.keys.wrappers(orgId))).sort();
    if (wrappers.length === 0) return {};
    const pipeline = this.redis.pipeline();
    for (const wrappingKeyId of wrappers) pipeline.zcard(this.keys.dataKeys(orgId, wrappingKeyId));
    const replies = (await pipeline.exec()) ?? [];
    const counts: Record<string, number> = {};
    wrappers.forEach((wrappingKeyId, i) => {
      const [error, count] = replies[i] ?? [null, 0];
      if (error) throw error;
      counts[wrappingKeyId] = Number(count);
    });
    return counts;
  }

  /** The position every document has caught up to; undefined before the first batch. */
  async checkpoint(): Promise<Position | undefined> {
    const text = await this.redis.get(this.keys.checkpoint);
    return text ? parsePosition(text) : undefined;
  }

  /**
   * Polls the stored checkpoint until it reaches `position` (for processes that do not run the
   * projections, e.g. the re-encryption planner). Resolves false after `timeoutMs` (default 5 000).
   */
  async waitForCheckpoint(position: Position, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<boolean> {
    const { timeoutMs = 5000, intervalMs = 25 } = options;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const stored = await this.checkpoint();
      if (stored && comparePositions(stored, position) >= 0) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
