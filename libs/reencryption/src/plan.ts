import type { Job, Queue } from 'bullmq';
import { parsePosition, type EventStore } from '@cmk/eventstore';
import type { ReadModelQueries } from '@cmk/read-models';
import type { ReencryptionSettings } from './config';
import { isRunning, readKeyring, sweptRun } from './run-keyring';
import { parsePlanJob } from './payloads';
import type { RunProgress } from './run-progress';
import { scheduleBatch } from './scheduling';

export interface PlanDependencies {
  readonly store: EventStore;
  readonly queries: ReadModelQueries;
  readonly progress: RunProgress;
  readonly batches: Queue;
  readonly settings: ReencryptionSettings;
}

/**
 * Round 1 of a run: waits until the data-key index includes the start event, then pages through
 * the data keys under each source key and adds one rewrap-batch job per page. The cursors are
 * saved in the job after every page, so a plan re-run after a crash resumes where it was; the
 * batch ids are deterministic, so a page added twice is added once.
 */
export async function runPlan(deps: PlanDependencies, job: Job): Promise<{ pages: number; keys: number } | { skipped: string }> {
  const payload = parsePlanJob(job.data);
  const keyring = await readKeyring(deps.store, payload.orgId);
  if (!isRunning(keyring, payload.reencryptionId)) return { skipped: 'run is not running' };
  const data = sweptRun(keyring, payload);
  const caughtUp = await deps.queries.waitForCheckpoint(parsePosition(data.startedAt), { timeoutMs: deps.settings.indexWaitMs, intervalMs: 50 });
  if (!caughtUp) throw new Error(`The data-key index has not reached ${data.startedAt} yet`);

  const cursors: Record<string, string | null> = { ...data.cursors };
  let pages = data.pages ?? 0;
  let keys = 0;
  for (const source of data.from) {
    while (cursors[source] !== null) {
      const page = await deps.queries.listDataKeys(data.orgId, source, { cursor: cursors[source] ?? undefined, limit: deps.settings.batchSize });
      if (page.ids.length > 0) {
        await scheduleBatch(deps.batches, deps.progress, deps.settings, data, 1, pages, page.ids);
        pages += 1;
        keys += page.ids.length;
      }
      cursors[source] = page.nextCursor;
      await job.updateData({ ...data, cursors, pages });
      await job.updateProgress({ pages, keys });
    }
  }
  return { pages, keys };
}
