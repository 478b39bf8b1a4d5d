import type { Redis } from 'ioredis';
import { estimateEtaSeconds, type ReadModelQueries, type ReencryptionBanner } from '@cmk/read-models';
import { RunProgress, type RunCounters } from './run-progress';

/** The banner the api answers: the read model's, with live counts while the run is running. */
export type LiveBanner = ReencryptionBanner;

/**
 * Merges the read model's banner (durable, updated by `ReencryptionProgressed` every couple of
 * seconds) with the fleet's Redis counters (live, per data key). Counts only ever move forward,
 * so whichever source is ahead wins; a finished run is the read model's alone.
 */
export function mergeLiveProgress(banner: ReencryptionBanner, counters: RunCounters | undefined, now: Date = new Date()): LiveBanner {
  if (banner.state !== 'running' || !counters) return banner;
  const done = Math.max(banner.done, counters.done);
  const failed = Math.max(banner.failed, counters.failed);
  const total = Math.max(banner.total, counters.total, done + failed);
  const failuresByCode = Object.keys(counters.failuresByCode).length > 0 ? { ...counters.failuresByCode } : banner.failuresByCode;
  return { ...banner, done, failed, total, failuresByCode, etaSeconds: estimateEtaSeconds(banner.startedAt, now.toISOString(), done, failed, total) };
}

/** Reads and merges; null before the org's first run. */
export async function readLiveBanner(queries: ReadModelQueries, redis: Redis, orgId: string): Promise<LiveBanner | null> {
  const banner = await queries.getBanner(orgId);
  if (!banner) return null;
  if (banner.state !== 'running') return banner;
  return mergeLiveProgress(banner, await new RunProgress(redis).read(banner.id));
}
