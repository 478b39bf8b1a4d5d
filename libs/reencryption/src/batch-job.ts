import { performance } from 'node:perf_hooks';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { FleetMetrics } from './fleet-metrics';
import { isRunning, readKeyring, sweptRun } from './run-keyring';
import { fleetKeys } from './names';
import { parseBatchJob } from './payloads';
import { rewrapBatch, type BatchDependencies } from './rewrap-batch';
import type { ProgressReporter, RunProgress } from './run-progress';

export interface BatchJobDependencies extends BatchDependencies {
  readonly redis: Redis;
  readonly progress: RunProgress;
  readonly reporter: ProgressReporter;
  readonly metrics: FleetMetrics;
  /** This process's name in `reenc:v1:batches-by-worker` (and BullMQ's `processedBy`). */
  readonly workerName: string;
}

/**
 * One rewrap-batch job: rewrap, count the outcomes (idempotently), report progress, and throw
 * when some keys hit transient failures so BullMQ retries the batch with backoff; the retry
 * skips the keys already moved.
 */
export async function processBatchJob(deps: BatchJobDependencies, job: Job): Promise<{ done: number; failed: number; skipped: number }> {
  const payload = parseBatchJob(job.data);
  const keyring = await readKeyring(deps.store, payload.orgId);
  if (!isRunning(keyring, payload.reencryptionId)) return { done: 0, failed: 0, skipped: payload.dataKeyIds.length };
  const data = sweptRun(keyring, payload);
  const started = performance.now();
  const result = await rewrapBatch(deps, data, keyring, String(job.id));
  await deps.progress.record(data.reencryptionId, result.outcomes);
  deps.metrics.batch((performance.now() - started) / 1000);
  await deps.redis.hincrby(fleetKeys.batchesByWorker, deps.workerName, 1);
  const count = (kind: string) => result.outcomes.filter((o) => o.outcome === kind).length;
  const summary = { done: count('done'), failed: count('failed'), skipped: count('skipped') };
  await job.updateProgress({ ...summary, transient: result.transient.length, of: data.dataKeyIds.length });
  await deps.reporter.maybeReport(data.orgId, data.reencryptionId, String(job.id));
  if (result.transient.length > 0) {
    const first = result.transient[0];
    throw new Error(`${result.transient.length} data key(s) hit transient failures (first: ${first.dataKeyId}: ${first.error})`);
  }
  return summary;
}
