import type { Redis } from 'ioredis';
import { DomainError } from '@cmk/domain';
import type { EventStore } from '@cmk/eventstore';
import { fleetKeys } from './names';
import { sendKeyringCommand, systemMetadata } from './run-keyring';

/** What happened to one data key in a batch. */
export type KeyOutcome =
  /** Rewrapped by this run (now, or by an earlier attempt of the same batch). */
  | { readonly dataKeyId: string; readonly outcome: 'done' }
  /** Refused for good (access denied, disabled key, ...): it stays under its old key. */
  | { readonly dataKeyId: string; readonly outcome: 'failed'; readonly code: string }
  /** Already off the source keys, moved by something other than this run: not counted. */
  | { readonly dataKeyId: string; readonly outcome: 'skipped' };

/** Live counters of one run, as the banner shows them. */
export interface RunCounters {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly failuresByCode: Readonly<Record<string, number>>;
}

// SADD guards every increment, so a replayed batch (stalled job, retry) never counts a key twice.
const RECORD_SCRIPT = `
local n = 0
for i = 1, #ARGV, 3 do
  local id, outcome, code = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('SADD', KEYS[2], id) == 1 then
    n = n + 1
    redis.call('HINCRBY', KEYS[1], outcome, 1)
    if outcome == 'failed' then
      redis.call('SADD', KEYS[3], id)
      redis.call('HINCRBY', KEYS[1], 'code:' .. code, 1)
    end
  end
end
return n`;

// A page adds to the total once, however often the plan that found it is re-run.
const PAGE_SCRIPT = `
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'total', tonumber(ARGV[2]))
  return 1
end
return 0`;

/** Redis counters of runs: atomic, idempotent per data key and per planned page. */
export class RunProgress {
  constructor(private readonly redis: Redis) {}

  /** Records outcomes; returns how many keys were counted for the first time. */
  async record(reencryptionId: string, outcomes: readonly KeyOutcome[]): Promise<number> {
    const argv: string[] = [];
    for (const o of outcomes) if (o.outcome !== 'skipped') argv.push(o.dataKeyId, o.outcome, o.outcome === 'failed' ? o.code : '');
    if (argv.length === 0) return 0;
    const keys = [fleetKeys.counters(reencryptionId), fleetKeys.seen(reencryptionId), fleetKeys.failed(reencryptionId)];
    return Number(await this.redis.eval(RECORD_SCRIPT, keys.length, ...keys, ...argv));
  }

  async addPlannedPage(reencryptionId: string, round: number, page: number, size: number): Promise<void> {
    await this.redis.eval(PAGE_SCRIPT, 2, fleetKeys.counters(reencryptionId), fleetKeys.pages(reencryptionId), `r${round}-p${page}`, String(size));
  }

  async read(reencryptionId: string): Promise<RunCounters | undefined> {
    const hash = await this.redis.hgetall(fleetKeys.counters(reencryptionId));
    if (Object.keys(hash).length === 0) return undefined;
    return countersFromHash(hash);
  }

  /** Which of `ids` failed in this run (they are not retried within the run). */
  async failedAmong(reencryptionId: string, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const flags = await this.redis.smismember(fleetKeys.failed(reencryptionId), ...ids);
    return new Set(ids.filter((_, i) => flags[i] === 1));
  }

  /** Keeps a finished run's counters a while (the live banner), then lets Redis drop them. */
  async expire(reencryptionId: string, seconds: number): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const key of [fleetKeys.counters, fleetKeys.seen, fleetKeys.failed, fleetKeys.pages]) pipeline.expire(key(reencryptionId), seconds);
    await pipeline.exec();
  }
}

export function countersFromHash(hash: Readonly<Record<string, string>>): RunCounters {
  const failuresByCode: Record<string, number> = {};
  for (const [field, value] of Object.entries(hash)) if (field.startsWith('code:')) failuresByCode[field.slice(5)] = Number(value);
  return { total: Number(hash['total'] ?? 0), done: Number(hash['done'] ?? 0), failed: Number(hash['failed'] ?? 0), failuresByCode };
}

/**
 * Appends `ReencryptionProgressed` at a bounded rate per run, fleet-wide: a Redis gate
 * (`SET NX PX`) lets one batch in `intervalMs` through, whichever worker finishes it. The live
 * banner reads the Redis counters directly, so these events are the durable, coarse record.
 */
export class ProgressReporter {
  constructor(
    private readonly store: EventStore,
    private readonly redis: Redis,
    private readonly progress: RunProgress,
    private readonly intervalMs: number,
  ) {}

  async maybeReport(orgId: string, reencryptionId: string, causationId: string): Promise<boolean> {
    const gate = await this.redis.set(fleetKeys.progressGate(reencryptionId), '1', 'PX', this.intervalMs, 'NX');
    if (gate !== 'OK') return false;
    const counters = await this.progress.read(reencryptionId);
    if (!counters) return false;
    try {
      const { done, failed, total } = counters;
      await sendKeyringCommand(this.store, orgId, {
        type: 'RecordReencryptionProgress',
        data: { orgId, reencryptionId, done, failed, total: Math.max(total, done + failed) },
        metadata: systemMetadata(reencryptionId, causationId),
      });
      return true;
    } catch (error) {
      // The run finished meanwhile (finalize won the race): progress no longer matters.
      if (error instanceof DomainError && error.code === 'REENCRYPTION_NOT_RUNNING') return false;
      throw error;
    }
  }
}
