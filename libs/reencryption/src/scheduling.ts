import type { JobsOptions, Queue } from 'bullmq';
import type { ReencryptionSettings } from './config';
import { BULL_PREFIX, jobIds, QUEUES } from './names';
import type { BatchJobData, RunRef } from './payloads';
import type { RunProgress } from './run-progress';

/** Keep finished plan/finalize jobs a week: their ids are what make a replayed event a no-op. */
export const KEEP_RUN_JOBS = { age: 7 * 24 * 3600 } as const;

export function batchJobOptions(settings: ReencryptionSettings, parentId: string): JobsOptions {
  return {
    parent: { id: parentId, queue: `${BULL_PREFIX}:${QUEUES.finalize}` },
    // A batch that exhausts its attempts must not block the run: finalize finds its keys still
    // under the sources and schedules them again (bounded rounds).
    ignoreDependencyOnFailure: true,
    attempts: settings.batchAttempts,
    backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

/** Adds one rewrap-batch child of the run's finalize job and counts its keys into the total once. */
export async function scheduleBatch(
  queue: Queue,
  progress: RunProgress,
  settings: ReencryptionSettings,
  run: RunRef,
  round: number,
  page: number,
  dataKeyIds: readonly string[],
): Promise<void> {
  const data: BatchJobData = { orgId: run.orgId, reencryptionId: run.reencryptionId, round, dataKeyIds: [...dataKeyIds] };
  const jobId = jobIds.batch(run.reencryptionId, round, page);
  await queue.add('rewrap-batch', data, { ...batchJobOptions(settings, jobIds.finalize(run.reencryptionId)), jobId });
  await progress.addPlannedPage(run.reencryptionId, round, page, dataKeyIds.length);
}
