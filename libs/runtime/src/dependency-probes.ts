import type { Redis } from 'ioredis';
import type { EventStore } from '@cmk/eventstore';
import type { DependencyHealth } from './dependency-health';
import type { Dependency } from './outage-errors';

export interface ProbeOptions {
  /** Between probes while the dependency is up. Default 5 000 ms. */
  readonly upIntervalMs?: number;
  /** Between probes during an outage: how soon recovery is noticed. Default 1 000 ms. */
  readonly downIntervalMs?: number;
  /** A probe slower than this counts as failed. Default 2 000 ms. */
  readonly timeoutMs?: number;
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
 * taken within 250 ms: a file locked by another process still serves reads, but every append
 * fails. (Another replica's append holds the lock for milliseconds, far below that.)
 */
export function eventStoreProbe(store: EventStore): () => Promise<void> {
  return async () => {
    await store.headPosition();
    await store.probeWriteLock?.(250);
  };
}

/**
 * Probes each dependency on a timer: a failed probe starts an outage, a passing one during an
 * outage ends it. Failures reported by the connections themselves start outages sooner; the
 * probes are what notices recovery when nothing else is calling (an idle worker, a quiet api).
 */
export function startDependencyProbes(health: DependencyHealth, probes: Partial<Record<Dependency, () => Promise<void>>>, options: ProbeOptions = {}): DependencyProbes {
  const { upIntervalMs = 5_000, downIntervalMs = 1_000, timeoutMs = 2_000 } = options;
  const timers = new Map<Dependency, NodeJS.Timeout>();
  let stopped = false;
  const schedule = (dependency: Dependency, probe: () => Promise<void>) => {
    if (stopped) return;
    const timer = setTimeout(() => void run(dependency, probe), health.isUp(dependency) ? upIntervalMs : downIntervalMs);
    timer.unref();
    timers.set(dependency, timer);
  };
  const run = async (dependency: Dependency, probe: () => Promise<void>) => {
    try {
      await withTimeout(probe(), timeoutMs);
      if (!stopped) health.recovered(dependency);
    } catch (error) {
      if (!stopped) health.failure(dependency, error, 'health probe');
    }
    schedule(dependency, probe);
  };
  for (const [dependency, probe] of Object.entries(probes) as [Dependency, () => Promise<void>][]) schedule(dependency, probe);
  return {
    stop() {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
    },
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
