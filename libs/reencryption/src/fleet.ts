import { hostname } from 'node:os';
import { DelayedError, FlowProducer, Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EventStore } from '@cmk/eventstore';
import type { ReadModelQueries } from '@cmk/read-models';
import { processBatchJob } from './batch-job';
import type { ReencryptionSettings } from './config';
import { startDispatcher, type Dispatcher, type FleetLogger, type OutageSink } from './dispatcher';
import { startStrandedKeyReactor, type StrandedKeyReactor } from './stranded-key-reactor';
import { runFinalize } from './finalize';
import { FleetMetrics } from './fleet-metrics';
import type { ProviderSource } from './rewrap-batch';
import type { PlatformKeyShredder } from './platform-key-shredding';
import { KmsRateLimiter } from './kms-rate-limiter';
import { isLockLoss, LockLossLog } from './lock-losses';
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
  /** Org platform keys, destroyed when a completed run leaves nothing under them. Omit to never shred. */
  readonly platformKeys?: PlatformKeyShredder;
  readonly settings: ReencryptionSettings;
  readonly logger: FleetLogger;
  /**
   * Outages of Redis or the event store seen by BullMQ's connections, the dispatcher and failed
   * jobs go here instead of the logger (one line per outage). Default: logged like any failure.
   */
  readonly outages?: OutageSink;
  /** Run the dispatcher in this process. Default true (safe in every replica). */
  readonly dispatcher?: boolean;
  /** Run the stranded-key reactor in this process. Default: as `dispatcher` (safe in every replica). */
  readonly strandedKeyReactor?: boolean;
  /** Name in metrics and `job.processedBy`. Default `<hostname>-<pid>`. */
  readonly workerName?: string;
}

export interface Fleet {
  readonly workerName: string;
  readonly metrics: FleetMetrics;
  /** Jobs this process is running now. */
  activeJobs(): number;
  /**
   * Graceful stop (SIGTERM): the dispatcher stops, workers take no new jobs and finish the ones
   * they hold (BullMQ `worker.close()`); anything cut short is re-run elsewhere as a stalled job.
   * `force` (Redis unreachable: nothing could be finished or given back) closes the connections
   * without waiting for the jobs. Resolves with the jobs abandoned that way: they run again
   * elsewhere once their lock expires.
   */
  close(options?: { force?: boolean }): Promise<{ abandonedJobs: number }>;
}

/** How long a job that failed on an outage of Redis or the event store waits before it runs again. */
const OUTAGE_RETRY_MS = 2_000;

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
  const outages = options.outages;
  // A job that failed because Redis or the event store is down is retried by BullMQ; the outage
  // is already one line, so its retries are not one line each.
  const lockLosses = new LockLossLog(logger);
  const onFailed = (kind: string) => (job: Job | undefined, error: Error) => {
    if (outages?.absorbs(error)) return;
    if (isLockLoss(error)) lockLosses.lost(`${kind} job ${job?.id ?? '?'}`, error);
    else logger.warn(`${kind} job ${job?.id ?? '?'} failed (attempt ${job?.attemptsMade ?? '?'}): ${error.message}`);
  };
  const onError = (what: string) => (error: Error) => {
    if (outages?.noticed(error, what)) return;
    if (isLockLoss(error)) lockLosses.lost(what, error);
    else logger.warn(`${what} error: ${error.message}`);
  };
  let active = 0;
  // Counts the jobs in flight (for shutdown), and sets a job that failed on an outage aside for a
  // moment without spending one of its attempts: an outage of any length never exhausts them,
  // and the job runs again within OUTAGE_RETRY_MS of the dependency's return.
  const counted =
    <T>(run: (job: Job, token?: string) => Promise<T>) =>
    async (job: Job, token?: string): Promise<T> => {
      active += 1;
      try {
        return await run(job, token);
      } catch (error) {
        if (!outages?.absorbs(error)) throw error;
        await job.moveToDelayed(Date.now() + OUTAGE_RETRY_MS, token).catch(() => {
          throw error;
        });
        throw new DelayedError();
      } finally {
        active -= 1;
      }
    };

  const workers = [
    new Worker(QUEUES.plan, counted((job) => runPlan({ store, queries, progress, batches, settings }, job)), { ...common, concurrency: 2 }),
    new Worker(
      QUEUES.batch,
      counted((job) => processBatchJob({ store, providers, limiter, metrics, concurrency: settings.rewrapConcurrency, redis, progress, reporter, workerName }, job)),
      { ...common, concurrency: settings.workerConcurrency },
    ),
    new Worker(
      QUEUES.finalize,
      counted(async (job, token) => {
        const result = await runFinalize({ store, queries, progress, batches, settings, platformKeys: options.platformKeys }, job, token);
        // Only the finalize that appended the outcome counts it (a re-run finds it finished).
        if (result.outcome === 'ReencryptionCompleted') metrics.runFinished('completed');
        if (result.outcome === 'ReencryptionFailed') metrics.runFinished('failed');
        return result;
      }),
      { ...common, concurrency: 2 },
    ),
  ];
  workers.forEach((worker, i) => {
    const kind = ['plan', 'batch', 'finalize'][i];
    worker.on('failed', onFailed(kind));
    worker.on('error', onError(`${kind} worker`));
  });
  // Without an 'error' listener BullMQ prints every connection error raw on stderr.
  batches.on('error', onError('batch queue'));
  finalizeQueue.on('error', onError('finalize queue'));
  flows.on('error', onError('flow producer'));
  const dispatcher: Dispatcher | undefined = options.dispatcher === false ? undefined : startDispatcher({ store, redis, flows, finalizeQueue, logger, outages });
  const reactor: StrandedKeyReactor | undefined =
    (options.strandedKeyReactor ?? options.dispatcher) === false ? undefined : startStrandedKeyReactor({ store, redis, queries, providers, logger, outages, indexWaitMs: settings.indexWaitMs });

  return {
    workerName,
    metrics,
    activeJobs: () => active,
    async close({ force = false } = {}) {
      await Promise.all([dispatcher?.stop(), reactor?.stop()]);
      const abandonedJobs = force ? active : 0;
      await Promise.all(workers.map((worker) => worker.close(force)));
      await Promise.all([batches.close(), finalizeQueue.close(), flows.close()]);
      lockLosses.close();
      if (force) metrics.stop();
      else await metrics.close();
      return { abandonedJobs };
    },
  };
}
