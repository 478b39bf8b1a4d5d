import type { Redis } from 'ioredis';
import type { EventStore } from '@cmk/eventstore';
import type { DependencyHealth } from './dependency-health';
import type { Dependency } from './outage-errors';

export interface ProbeOptions {
  /** Between probes while the dependency is up. Default 5 000 ms. */
  readonly upIntervalMs?: number;
  /** Between probes during an outage: how soon recovery is noticed. Default 1 000 ms. */
  readonly downIntervalMs?: number;
  /**
   * A probe slower than this has timed out. Default 3 000 ms. One failed probe is not an outage
   * (a busy process answers late; a SQLite write lock held by a long fsync is not free within
   * the probe's wait): two in a row are, the second one second after the first. Connections
   * report their own errors (refused, reset, unavailable) at once, without waiting for a probe.
   */
  readonly timeoutMs?: number;
}

/** A probe that got no answer in time: slow, not (yet) down. */
export class ProbeTimeoutError extends Error {
  override readonly name = 'ProbeTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

export interface DependencyProbes {
  stop(): void;
}

/** Redis answers when this process's own connection is ready and a PING comes back. */
export function redisProbe(redis: Redis): () => Promise<void> {
  return async () => {
    // A PING on a reconnecting client would wait in the offline queue: ask its state first.
    if (redis.status !== 'ready') throw new Error(`connection ${redis.status}`);
    await redis.ping();
  };
}

/**
 * The event store answers when it reports its head and, for SQLite, when its write lock can be
 * taken: a file locked by another process still serves reads, but every append fails. The lock
 * is asked for within 250 ms; a probe confirming a first failure waits up to 2 s, so a busy
 * writer (back-to-back group commits, a slow fsync) is not mistaken for a lock held elsewhere.
 */
export function eventStoreProbe(store: EventStore): (confirming?: boolean) => Promise<void> {
  return async (confirming = false) => {
    await store.headPosition();
    await store.probeWriteLock?.(confirming ? 2_000 : 250);
  };
}

/**
 * Probes each dependency on a timer: a failed probe starts an outage, a passing one during an
 * outage ends it. Failures reported by the connections themselves start outages sooner; the
 * probes are what notices recovery when nothing else is calling (an idle worker, a quiet api).
 */
export function startDependencyProbes(health: DependencyHealth, probes: Partial<Record<Dependency, (confirming?: boolean) => Promise<void>>>, options: ProbeOptions = {}): DependencyProbes {
  const { upIntervalMs = 5_000, downIntervalMs = 1_000, timeoutMs = 3_000 } = options;
  const timers = new Map<Dependency, NodeJS.Timeout>();
  const failedInARow = new Map<Dependency, number>();
  let stopped = false;
  const schedule = (dependency: Dependency, probe: (confirming?: boolean) => Promise<void>) => {
    if (stopped) return;
    const soon = !health.isUp(dependency) || (failedInARow.get(dependency) ?? 0) > 0;
    const timer = setTimeout(() => void run(dependency, probe), soon ? downIntervalMs : upIntervalMs);
    timer.unref();
    timers.set(dependency, timer);
  };
  const run = async (dependency: Dependency, probe: (confirming?: boolean) => Promise<void>) => {
    const confirming = health.isUp(dependency) && (failedInARow.get(dependency) ?? 0) > 0;
    try {
      await withTimeout(probe(confirming), timeoutMs);
      failedInARow.set(dependency, 0);
      if (!stopped) health.recovered(dependency);
    } catch (error) {
      const failed = (failedInARow.get(dependency) ?? 0) + 1;
      failedInARow.set(dependency, failed);
      if (!stopped && (failed >= 2 || !health.isUp(dependency))) health.failure(dependency, error, 'health probe');
    }
    schedule(dependency, probe);
  };
  for (const [dependency, probe] of Object.entries(probes) as [Dependency, (confirming?: boolean) => Promise<void>][]) schedule(dependency, probe);
  return {
    stop() {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
    },
  };
}

/** Races `promise` against `ms`; rejects with `ProbeTimeoutError` when it loses. */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeoutError(ms)), ms);
  });
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
