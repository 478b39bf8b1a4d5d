import { hostname } from 'node:os';
import { FlowProducer, Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EventStore } from '@cmk/eventstore';
import type { ReadModelQueries } from '@cmk/read-models';
import { processBatchJob } from './batch-job';
import type { ReencryptionSettings } from './config';
import { startDispatcher, type Dispatcher, type FleetLogger } from './dispatcher';
import { runFinalize } from './finalize';
import { FleetMetrics } from './fleet-metrics';
import type { ProviderSource } from './rewrap-batch';
import { KmsRateLimiter } from './kms-rate-limiter';
import { QUEUES } from './names';
import { runPlan } from './plan';
import { ProgressReporter, RunProgress } from './run-progress';

export interface FleetOptions {
  readonly store: EventStore;
  /** For counters, the limiter and metrics (any ioredis client; BullMQ opens its own). */
  readonly redis: Redis;
  /** `REDIS_URL`: BullMQ's connections. */
  readonly redisUrl: string;
  readonly queries: ReadModelQueries;
  readonly providers: ProviderSource;
  readonly settings: ReencryptionSettings;
  readonly logger: FleetLogger;
  /** Run the dispatcher in this process. Default true (safe in every replica). */
  readonly dispatcher?: boolean;
  /** Name in metrics and `job.processedBy`. Default `<hostname>-<pid>`. */
  readonly workerName?: string;
}

export interface Fleet {
  readonly workerName: string;
  readonly metrics: FleetMetrics;
  /**
   * Graceful stop (SIGTERM): the dispatcher stops, workers take no new jobs and finish the ones
   * they hold (BullMQ `worker.close()`); anything cut short is re-run elsewhere as a stalled job.
   */
  close(): Promise<void>;
}

/** BullMQ connection options for a Redis URL: retry forever, as BullMQ workers require. */
export function bullConnection(redisUrl: string, connectionName: string): ConnectionOptions {
  return { url: redisUrl, connectionName, maxRetriesPerRequest: null, retryStrategy: (attempt: number) => Math.min(50 * attempt, 2_000) };
}

/** Starts the dispatcher and the plan, rewrap-batch and finalize workers of one process. */
export function startReencryptionFleet(options: FleetOptions): Fleet {
  const { store, redis, queries, providers, settings, logger } = options;
  const workerName = options.workerName ?? `${hostname()}-${process.pid}`;
  const connection = bullConnection(options.redisUrl, `cmk-reencrypt-${workerName}`);
  const progress = new RunProgress(redis);
  const metrics = new FleetMetrics(redis);
  const limiter = new KmsRateLimiter(redis, settings.kmsRateLimitPerSecond);
  const reporter = new ProgressReporter(store, redis, progress, settings.progressIntervalMs);
  const batches = new Queue(QUEUES.batch, { connection });
  const finalizeQueue = new Queue(QUEUES.finalize, { connection });
  const flows = new FlowProducer({ connection });
  const common = {
    connection,
    name: workerName,
    lockDuration: settings.lockDurationMs,
    stalledInterval: Math.max(1_000, Math.floor(settings.lockDurationMs / 2)),
    // A SIGKILLed worker's job stalls; re-running it is safe (keys already moved are skipped).
    maxStalledCount: 10,
  };
  const onFailed = (kind: string) => (job: Job | undefined, error: Error) =>
    logger.warn(`${kind} job ${job?.id ?? '?'} failed (attempt ${job?.attemptsMade ?? '?'}): ${error.message}`);

  const workers = [
    new Worker(QUEUES.plan, (job) => runPlan({ store, queries, progress, batches, settings }, job), { ...common, concurrency: 2 }),
    new Worker(
      QUEUES.batch,
      (job) => processBatchJob({ store, providers, limiter, metrics, concurrency: settings.rewrapConcurrency, redis, progress, reporter, workerName }, job),
      { ...common, concurrency: settings.workerConcurrency },
    ),
    new Worker(
      QUEUES.finalize,
      async (job, token) => {
        const result = await runFinalize({ store, queries, progress, batches, settings }, job, token);
        // Only the finalize that appended the outcome counts it (a re-run finds it finished).
        if (result.outcome === 'ReencryptionCompleted') metrics.runFinished('completed');
        if (result.outcome === 'ReencryptionFailed') metrics.runFinished('failed');
        return result;
      },
      { ...common, concurrency: 2 },
    ),
  ];
  workers.forEach((worker, i) => {
    worker.on('failed', onFailed(['plan', 'batch', 'finalize'][i]));
    worker.on('error', (error) => logger.warn(`worker error: ${error.message}`));
  });
  const dispatcher: Dispatcher | undefined = options.dispatcher === false ? undefined : startDispatcher({ store, redis, flows, finalizeQueue, logger });

  return {
    workerName,
    metrics,
    async close() {
      await dispatcher?.stop();
      await Promise.all(workers.map((worker) => worker.close()));
      await Promise.all([batches.close(), finalizeQueue.close(), flows.close()]);
      await metrics.close();
    },
  };
}
