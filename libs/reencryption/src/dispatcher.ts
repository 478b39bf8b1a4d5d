import { forwardCheckpoint } from '@cmk/read-models';
import { FlowProducer, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { decodeKeyringEvent, STREAM_PREFIX } from '@cmk/domain';
import { formatPosition, type AllSubscription, type EventStore, type RecordedEvent } from '@cmk/eventstore';
import { fleetKeys, jobIds, QUEUES } from './names';
import type { PlanJobData, RunRef } from './payloads';
import { KEEP_RUN_JOBS } from './scheduling';

/** Structured logger; Nest's `Logger` fits. */
export interface FleetLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * Where failures that are outages of Redis or the event store go (the apps' dependency-health
 * service): `noticed` answers true when it took note of one, and the caller logs nothing, so an
 * outage is one line, not one per retry of every loop and job.
 */
export interface OutageSink {
  noticed(error: unknown, source: string): boolean;
  /** The same for failures reported late (failed jobs): counted, but never starts an outage. */
  absorbs(error: unknown): boolean;
}

export interface DispatcherOptions {
  readonly store: EventStore;
  readonly redis: Redis;
  readonly flows: FlowProducer;
  /** The finalize queue, to see whether a run's flow already exists. */
  readonly finalizeQueue: Queue;
  readonly logger: FleetLogger;
  /** Outages are reported here instead of logged. Default: logged like any failure. */
  readonly outages?: OutageSink;
  /** Attempts of a plan job. Default 20. */
  readonly planAttempts?: number;
}

export interface Dispatcher {
  stop(): Promise<void>;
}


/**
 * Follows the keyring streams from a checkpoint in Redis and turns each `ReencryptionStarted`
 * into a flow: `finalize-<id>` (parent) with `plan-<id>` (child). Job ids are deterministic,
 * the flow is added only when its finalize job does not exist, and finished runs are no-ops
 * in every job, so a replayed event or two dispatchers at once never duplicate work. The
 * checkpoint is stored after the flow is added (at-least-once).
 */
export function startDispatcher(options: DispatcherOptions): Dispatcher {
  let stopped = false;
  let subscription: AllSubscription | undefined;
  const checkpoint = forwardCheckpoint(options.redis, fleetKeys.dispatcherCheckpoint);
  const loop = (async () => {
    let backoffMs = 100;
    while (!stopped) {
      try {
        const stored = await checkpoint.load();
        subscription = options.store.subscribeToAll({ fromPosition: stored ?? 'start', filter: { streamNamePrefixes: [STREAM_PREFIX.keyring] } });
        if (stopped) await subscription.unsubscribe();
        let lastSaved = 0;
        for await (const item of subscription) {
          if (item.kind === 'event') {
            await dispatch(options, item.event);
            await checkpoint.advance(item.event.position);
          } else if (Date.now() - lastSaved > 1_000 || item.kind === 'caught-up') {
            await checkpoint.advance(item.position);
            lastSaved = Date.now();
          }
          backoffMs = 100;
        }
      } catch (error) {
        if (stopped) break;
        if (!options.outages?.noticed(error, 'dispatcher')) options.logger.warn(`dispatcher: ${error instanceof Error ? error.message : String(error)}; resubscribing in ${backoffMs} ms`);
        await subscription?.unsubscribe().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await subscription?.unsubscribe();
      await loop;
    },
  };
}


async function dispatch(options: DispatcherOptions, recorded: RecordedEvent): Promise<void> {
  if (recorded.type !== 'ReencryptionStarted') return;
  let event;
  try {
    event = decodeKeyringEvent(recorded);
  } catch (error) {
    options.logger.error(`dispatcher: skipping undecodable ${recorded.type} at ${formatPosition(recorded.position)}: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  if (event.type !== 'ReencryptionStarted') return;
  const { orgId, reencryptionId, from, to } = event.data;
  if (await options.finalizeQueue.getJob(jobIds.finalize(reencryptionId))) return;
  const run: RunRef = { orgId, reencryptionId };
  const plan: PlanJobData = { ...run, startedAt: formatPosition(recorded.position) };
  await options.flows.add({
    name: 'finalize',
    queueName: QUEUES.finalize,
    data: run,
    opts: { jobId: jobIds.finalize(reencryptionId), removeOnComplete: KEEP_RUN_JOBS, removeOnFail: KEEP_RUN_JOBS, attempts: 20, backoff: { type: 'exponential', delay: 1_000 } },
    children: [
      {
        name: 'plan',
        queueName: QUEUES.plan,
        data: plan,
        opts: {
          jobId: jobIds.plan(reencryptionId),
          // A plan that gives up must not strand the run: finalize re-plans whatever is left.
          ignoreDependencyOnFailure: true,
          attempts: options.planAttempts ?? 20,
          backoff: { type: 'exponential', delay: 1_000 },
          removeOnComplete: KEEP_RUN_JOBS,
          removeOnFail: KEEP_RUN_JOBS,
        },
      },
    ],
  });
  options.logger.log(`dispatched re-encryption ${reencryptionId} of ${orgId} (${from.join(',')} -> ${to})`);
}
