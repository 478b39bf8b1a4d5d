import { comparePositions, formatPosition, parsePosition, type Position } from '@cmk/eventstore';
import type { Redis } from 'ioredis';
import type { ProjectedEvent } from '../codec/projected-event';
import { dataKeyIndexChanges } from '../projections/data-key-index';
import { evolveKeyList, initialKeyListDoc, type KeyListDoc } from '../projections/key-list';
import { evolveBannerDoc, initialBannerDoc, type ReencryptionBannerDoc } from '../projections/reencryption-banner';
import { readModelKeys, type ReadModelKeys } from './keys';
import { COMMIT_BATCH_SCRIPT, runScript } from './scripts';

/** How many times a batch is recomputed after another writer moved the checkpoint under it. */
const MAX_ATTEMPTS = 10;

export interface BatchResult {
  /** The stored checkpoint after the call. */
  readonly checkpoint: Position;
  /** Events this call wrote (0 when another writer had already applied them all). */
  readonly applied: number;
}

/** Collects the KEYS of one script call and the flat op list that refers to them by index. */
class OpList {
  readonly keys: string[];
  readonly args: (string | number)[] = [];
  private readonly index = new Map<string, number>();

  constructor(checkpointKey: string) {
    this.keys = [checkpointKey];
    this.index.set(checkpointKey, 1);
  }

  private keyIndex(key: string): number {
    let at = this.index.get(key);
    if (at === undefined) {
      this.keys.push(key);
      at = this.keys.length;
      this.index.set(key, at);
    }
    return at;
  }

  push(op: 'S' | 'Z' | 'R' | 'A', key: string, ...rest: (string | number)[]): void {
    this.args.push(op, this.keyIndex(key), ...rest);
  }
}

/**
 * The Redis adapter of the read models: folds a batch of decoded events into the documents with
 * the pure projections and writes the documents, the data-key index and the checkpoint in one
 * compare-and-set script. Events at or below the stored checkpoint are skipped, so re-delivery
 * and replicas running the same projection change nothing.
 */
export class ProjectionWriter {
  readonly keys: ReadModelKeys;

  constructor(
    private readonly redis: Redis,
    namespace?: string,
  ) {
    this.keys = readModelKeys(namespace);
  }

  async readCheckpoint(): Promise<Position | undefined> {
    const text = await this.redis.get(this.keys.checkpoint);
    return text ? parsePosition(text) : undefined;
  }

  /**
   * Applies `events` (in log order) and moves the checkpoint to `upTo`, which is at or after the
   * last event (a subscription `checkpoint` item may carry it past filtered-out events).
   */
  async applyBatch(events: readonly ProjectedEvent[], upTo: Position): Promise<BatchResult> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const storedText = await this.redis.get(this.keys.checkpoint);
      const stored = storedText ? parsePosition(storedText) : undefined;
      if (stored && comparePositions(upTo, stored) <= 0) return { checkpoint: stored, applied: 0 };
      const fresh = stored ? events.filter((e) => comparePositions(e.position, stored) > 0) : events;
      const ops = await this.buildOps(fresh);
      const written = await runScript(this.redis, COMMIT_BATCH_SCRIPT, ops.keys, [storedText ?? '', formatPosition(upTo), ...ops.args]);
      if (written === 1) return { checkpoint: upTo, applied: fresh.length };
    }
    throw new Error(`Read model checkpoint kept moving under ${MAX_ATTEMPTS} attempts to apply a batch`);
  }

  private async buildOps(events: readonly ProjectedEvent[]): Promise<OpList> {
    const ops = new OpList(this.keys.checkpoint);
    const orgIds = [...new Set(events.filter((e) => e.category === 'keyring').map((e) => e.orgId))];
    const keyLists = new Map<string, KeyListDoc>();
    const banners = new Map<string, ReencryptionBannerDoc>();
    const wrappers = new Set<string>();
    if (orgIds.length > 0) {
      const stored = await this.redis.mget(...orgIds.flatMap((orgId) => [this.keys.keyList(orgId), this.keys.banner(orgId)]));
      orgIds.forEach((orgId, i) => {
        keyLists.set(orgId, parseDoc<KeyListDoc>(stored[2 * i]) ?? initialKeyListDoc(orgId));
        banners.set(orgId, parseDoc<ReencryptionBannerDoc>(stored[2 * i + 1]) ?? initialBannerDoc(orgId));
      });
    }
    for (const projected of events) {
      if (projected.category === 'keyring') {
        const { orgId, event } = projected;
        keyLists.set(orgId, evolveKeyList(required(keyLists.get(orgId)), event));
        banners.set(orgId, evolveBannerDoc(required(banners.get(orgId)), event));
      } else {
        for (const change of dataKeyIndexChanges(projected.event, Number(projected.position.commit))) {
          const set = this.keys.dataKeys(change.orgId, change.wrappingKeyId);
          if (change.op === 'add') {
            ops.push('Z', set, change.score, change.dataKeyId);
            // One SADD per (org, wrapping key) and batch keeps the script's arguments small.
            if (!wrappers.has(set)) ops.push('A', this.keys.wrappers(change.orgId), change.wrappingKeyId);
            wrappers.add(set);
          } else {
            ops.push('R', set, change.dataKeyId);
          }
        }
      }
    }
    for (const [orgId, doc] of keyLists) ops.push('S', this.keys.keyList(orgId), JSON.stringify(doc));
    for (const [orgId, doc] of banners) ops.push('S', this.keys.banner(orgId), JSON.stringify(doc));
    return ops;
  }
}

/** Documents are only ever written by this adapter from the typed projections. */
export function parseDoc<T>(text: string | null | undefined): T | undefined {
  return text ? (JSON.parse(text) as T) : undefined;
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('document missing from the batch');
  return value;
}
